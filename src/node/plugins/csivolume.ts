// What the csi plugin's filesystem mounter (csi.ts) and its raw block mapper (csiblock.ts) share
// (pkg/volume/csi: csi_attacher.go, csi_client.go, csi_mounter.go): the volume's capability and contexts for the
// driver, the attach wait, uncertain outcomes, NodeUnstageVolume. Both import it; it imports neither.
import { attachmentName } from "../../api/storage/attachmentnames.js";
import { rmdir } from "node:fs/promises";
import type { Pod } from "../../api/core/types.js";
import type { CSIDriver, FSGroupPolicy, VolumeLifecycleMode } from "../../api/storage/types.js";
import type { Lister } from "../../client/index.js";
import type { VolumeCapability } from "../../csi/generated/csi/v1/VolumeCapability.js";
import type { RegisteredDriver } from "../csidrivers.js";
import { uniqueVolumeName } from "../../api/storage/attachmentnames.js";
import type { StagedDevice } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import {
  AttachPendingError,
  describeCause,
  isFinalError,
  UncertainOperationError,
  VolumeOperationError,
  type PluginContext,
} from "./context.js";

export type CsiVolume = Extract<DesiredVolume, { kind: "csi" }>;

/** CSIDriver.spec.attachRequired, defaulting to true when the driver has no CSIDriver object (csi_plugin.go). */
export function attachRequired(ctx: PluginContext, driver: string): boolean {
  return ctx.csiDrivers.get(driver)?.spec.attachRequired ?? true;
}

/** The unique volume name (kubernetes.io/csi/<driver>^<handle>): the device staged once per node. */
export const deviceOf = (volume: CsiVolume): string =>
  uniqueVolumeName(volume.source.driver, volume.source.volumeHandle);

/** operation_generator.go's prefix for a mounter that could not be made: "… initialization failed for volume". */
export const newMounter = "MountVolume.NewMounter initialization";

/** Go's %q of a []string: each quoted, space-separated, in brackets. */
const goQuoteList = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(" ")}]`;

/**
 * csi_plugin.go supportsVolumeLifecycleMode, asked by NewMounter before anything is staged or published: why the
 * driver cannot take a volume of this mode, or undefined when its CSIDriver lists it. Without a CSIDriver only
 * Persistent volumes are assumed.
 */
export function lifecycleModeError(
  drivers: Lister<CSIDriver>,
  driver: string,
  mode: VolumeLifecycleMode,
): string | undefined {
  const object = drivers.get(driver);
  if (!object) {
    return mode === "Persistent"
      ? undefined
      : `volume mode "${mode}" not supported by driver ${driver} (no CSIDriver object)`;
  }
  const modes = object.spec.volumeLifecycleModes ?? ["Persistent"];
  if (modes.includes(mode)) return undefined;
  return `volume mode "${mode}" not supported by driver ${driver} (only supports ${goQuoteList(modes)})`;
}

/** The registered driver, or `operation`'s failure worded as the kubelet's when it has no client for it. */
export function driverOf(
  ctx: PluginContext,
  driver: string,
  volumeName: string,
  operation: string,
  what: string,
): RegisteredDriver {
  try {
    return ctx.csi.get(driver);
  } catch (err) {
    throw new VolumeOperationError(operation, volumeName, `kubernetes.io/csi: ${what}: ${describeCause(err)}`);
  }
}

/** What the capability is made of: a claim's CSI volume, or an inline one seen as upstream sees it (RWO). */
type CapabilitySource = Pick<CsiVolume, "accessModes" | "volumeMode" | "mountOptions" | "fsGroup"> & {
  source: { fsType?: string };
};

function accessMode(
  volume: CapabilitySource,
  driver: Pick<RegisteredDriver, "singleNodeMultiWriter">,
): NonNullable<VolumeCapability["access_mode"]>["mode"] {
  const modes = volume.accessModes;
  // csi_client.go asCSIAccessModeV1, with ReadWriteOncePod mapped as the driver supports it.
  if (modes.includes("ReadWriteOncePod"))
    return driver.singleNodeMultiWriter ? "SINGLE_NODE_SINGLE_WRITER" : "SINGLE_NODE_WRITER";
  if (modes.includes("ReadWriteOnce"))
    return driver.singleNodeMultiWriter ? "SINGLE_NODE_MULTI_WRITER" : "SINGLE_NODE_WRITER";
  if (modes.includes("ReadWriteMany")) return "MULTI_NODE_MULTI_WRITER";
  if (modes.includes("ReadOnlyMany")) return "MULTI_NODE_READER_ONLY";
  return "SINGLE_NODE_WRITER";
}

export function capability(
  volume: CapabilitySource,
  driver: Pick<RegisteredDriver, "singleNodeMultiWriter" | "volumeMountGroup">,
): VolumeCapability {
  const access_mode = { mode: accessMode(volume, driver) };
  if (volume.volumeMode === "Block") return { block: {}, access_mode };
  const mount = { fs_type: volume.source.fsType ?? "", mount_flags: volume.mountOptions };
  // A driver with VOLUME_MOUNT_GROUP is handed the pod's fsGroup (NodeStage and NodePublish) and applies it itself.
  if (driver.volumeMountGroup && volume.fsGroup !== undefined) {
    return { mount: { ...mount, volume_mount_group: String(volume.fsGroup) }, access_mode };
  }
  return { mount, access_mode };
}

/**
 * csi_mounter.go supportsFSGroup: whether the kubelet changes a published volume's ownership for the pod's fsGroup,
 * by the CSIDriver's fsGroupPolicy (ReadWriteOnceWithFSType when it has no CSIDriver object). Never for a driver
 * that applies it itself (VOLUME_MOUNT_GROUP) nor for a read-only volume.
 */
export function kubeletAppliesFSGroup(
  policy: FSGroupPolicy = "ReadWriteOnceWithFSType",
  volume: Pick<CsiVolume, "fsGroup" | "readOnly" | "accessModes"> & { source: { fsType?: string } },
  driver: Pick<RegisteredDriver, "volumeMountGroup">,
): boolean {
  if (volume.fsGroup === undefined || volume.readOnly || driver.volumeMountGroup) return false;
  if (policy === "None") return false;
  if (policy === "File") return true;
  if (!volume.source.fsType) return false;
  return volume.accessModes.includes("ReadWriteOnce") || volume.accessModes.includes("ReadWriteOncePod");
}

/**
 * The attachment's publish context; throws AttachPendingError while the volume waits for the Node to list it in
 * volumesInUse (ReportedInUse) or for the attach/detach controller to attach it.
 */
function publishContext(ctx: PluginContext, volume: CsiVolume): Record<string, string> {
  if (!attachRequired(ctx, volume.source.driver)) return {};
  if (ctx.reportedInUse && !ctx.reportedInUse(deviceOf(volume))) {
    throw new AttachPendingError(
      `Volume has not been added to the list of VolumesInUse in the node's volume status for volume ${volume.pvName}`,
    );
  }
  if (ctx.attachedInNodeStatus && !ctx.attachedInNodeStatus(deviceOf(volume))) {
    // VerifyControllerAttachedVolume comes first, as in the kubelet's reconciler: the Node lists a volume only once
    // its VolumeAttachment exists and is attached, and a node may read no attachment that does not exist for it yet
    // (the Node authorizer refuses the GET).
    throw new AttachPendingError(`Volume not attached according to node status for volume ${volume.pvName}`);
  }
  const va = ctx.volumeAttachments.get(attachmentName(volume.source.volumeHandle, volume.source.driver, ctx.nodeName));
  if (!va?.status?.attached || va.metadata.deletionTimestamp) {
    throw new AttachPendingError(
      `volume ${volume.pvName} is not attached to node ${ctx.nodeName} yet (VolumeAttachment ${attachmentName(volume.source.volumeHandle, volume.source.driver, ctx.nodeName)})`,
    );
  }
  return { ...(va.status.attachmentMetadata ?? {}) };
}

/** csi_mounter.go getPodInfoAttrs: the pod's identity, and whether the volume is an inline (ephemeral) one. */
export function podInfoAttributes(pod: Pod, ephemeral: boolean): Record<string, string> {
  return {
    "csi.storage.k8s.io/pod.name": pod.metadata.name ?? "",
    "csi.storage.k8s.io/pod.namespace": pod.metadata.namespace ?? "",
    "csi.storage.k8s.io/pod.uid": pod.metadata.uid ?? "",
    "csi.storage.k8s.io/serviceAccount.name": pod.spec.serviceAccountName ?? "default",
    "csi.storage.k8s.io/ephemeral": String(ephemeral),
  };
}

/** csi_mounter.go: with podInfoOnMount the pod's identity goes into the volume context. */
export function volumeContext(ctx: PluginContext, volume: CsiVolume, pod: Pod): Record<string, string> {
  const attributes = { ...(volume.source.volumeAttributes ?? {}) };
  if (ctx.csiDrivers.get(volume.source.driver)?.spec.podInfoOnMount) {
    Object.assign(attributes, podInfoAttributes(pod, false));
  }
  return attributes;
}

/** A failure the driver may still be acting on leaves the device or volume uncertain (operation_generator.go). */
export function uncertainUnlessFinal(
  failure: VolumeOperationError,
  cause: unknown,
  uncertain: UncertainOperationError["uncertain"],
): VolumeOperationError {
  return isFinalError(cause) ? failure : new UncertainOperationError(failure, uncertain);
}

/** What the driver is told of a volume, worked out before anything is written (the attach wait may refuse). */
export interface NodeRequest {
  driver: RegisteredDriver;
  capability: VolumeCapability;
  publishContext: Record<string, string>;
}

/**
 * verifyControllerAttachedVolume: once the caches say attached, a fresh read of the Node must list the volume in
 * status.volumesAttached. The attach/detach controller takes a volume out of that list before it reads volumesInUse
 * to decide a detach (controllers/attachdetach/nodestatus.ts), so a mount that would begin after that read waits.
 */
async function verifyAttached(ctx: PluginContext, volume: CsiVolume): Promise<void> {
  if (!ctx.volumesAttached || !attachRequired(ctx, volume.source.driver)) return;
  if ((await ctx.volumesAttached()).includes(deviceOf(volume))) return;
  throw new AttachPendingError(`Volume not attached according to node status for volume ${volume.pvName}`);
}

/**
 * The request for a volume: its driver (or `operation`'s failure) and, once attached, what the attachment says.
 * The volume's first step on this node (staging, or publishing when the driver does not stage) verifies the attach.
 */
export async function nodeRequest(
  ctx: PluginContext,
  volume: CsiVolume,
  operation: string,
  what: string,
  step: "stage" | "publish",
): Promise<NodeRequest> {
  const driver = driverOf(ctx, volume.source.driver, volume.pvName, operation, what);
  const request = { driver, capability: capability(volume, driver), publishContext: publishContext(ctx, volume) };
  if (step === "stage" || !driver.stageUnstage) await verifyAttached(ctx, volume);
  return request;
}

/** NodeStageVolume at `stagingPath`. */
export async function nodeStage(volume: CsiVolume, request: NodeRequest, stagingPath: string): Promise<void> {
  await request.driver.client.node.NodeStageVolume({
    volume_id: volume.source.volumeHandle,
    publish_context: request.publishContext,
    staging_target_path: stagingPath,
    volume_capability: request.capability,
    volume_context: volume.source.volumeAttributes ?? {},
    secrets: {},
  });
}

/** NodePublishVolume at `targetPath`, from `stagingPath` ("" when the driver does not stage). */
export async function nodePublish(
  volume: CsiVolume,
  request: NodeRequest,
  paths: { stagingPath: string; targetPath: string },
  volumeContext: Record<string, string>,
): Promise<void> {
  await request.driver.client.node.NodePublishVolume({
    volume_id: volume.source.volumeHandle,
    publish_context: request.publishContext,
    staging_target_path: paths.stagingPath,
    target_path: paths.targetPath,
    volume_capability: request.capability,
    readonly: volume.readOnly,
    secrets: {},
    volume_context: volumeContext,
  });
}

/** NodeUnstageVolume, then the (now empty) staging directory goes; a failure is `operation`'s, as the kubelet names it. */
export async function nodeUnstage(ctx: PluginContext, device: StagedDevice, operation: string): Promise<void> {
  const driver = ctx.csi.get(device.driver);
  try {
    await driver.client.node.NodeUnstageVolume({
      volume_id: device.volumeHandle,
      staging_target_path: device.stagingPath,
    });
  } catch (err) {
    throw new VolumeOperationError(operation, device.uniqueName, describeCause(err));
  }
  await rmdir(device.stagingPath).catch(() => undefined);
}
