// CSI volumes as the kubelet's csi plugin mounts them (pkg/volume/csi: csi_attacher.go, csi_mounter.go):
//   wait for the VolumeAttachment when the driver needs attaching (no CSIDriver object: it does),
//   NodeStageVolume once per node at plugins/kubernetes.io/csi/<driver>/<sha256(handle)>/globalmount when the
//   driver has STAGE_UNSTAGE_VOLUME, NodePublishVolume per pod at pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount.
// vol_data.json beside each records what is mounted there, for a restarted agent.
import { createHash } from "node:crypto";
import { mkdir, readdir, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Pod } from "../../api/core/types.js";
import type { VolumeCapability } from "../../csi/generated/csi/v1/VolumeCapability.js";
import type { RegisteredDriver } from "../csidrivers.js";
import { csiUniqueVolumeName, volDataFile } from "../paths.js";
import type { MountedVolume, StagedDevice } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import {
  AttachPendingError,
  describeCause,
  isFinalError,
  UncertainOperationError,
  VolumeOperationError,
  type PluginContext,
} from "./context.js";
import { publishBlockVolume, stageBlockVolume, unpublishBlockVolume, unstageBlockVolume } from "./csiblock.js";

export type CsiVolume = Extract<DesiredVolume, { kind: "csi" }>;

/** The VolumeAttachment name the attach/detach controller and csi-attacher use (csi_attacher.go getAttachmentName). */
export const attachmentName = (volumeHandle: string, driver: string, nodeName: string): string =>
  `csi-${createHash("sha256").update(`${volumeHandle}${driver}${nodeName}`).digest("hex")}`;

/** CSIDriver.spec.attachRequired, defaulting to true when the driver has no CSIDriver object (csi_plugin.go). */
export function attachRequired(ctx: PluginContext, driver: string): boolean {
  return ctx.csiDrivers.get(driver)?.spec.attachRequired ?? true;
}

function accessMode(volume: CsiVolume, driver: RegisteredDriver): NonNullable<VolumeCapability["access_mode"]>["mode"] {
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

function capability(volume: CsiVolume, driver: RegisteredDriver): VolumeCapability {
  const access_mode = { mode: accessMode(volume, driver) };
  if (volume.volumeMode === "Block") return { block: {}, access_mode };
  return { mount: { fs_type: volume.source.fsType ?? "", mount_flags: volume.mountOptions }, access_mode };
}

function publishContext(ctx: PluginContext, volume: CsiVolume): Record<string, string> {
  if (!attachRequired(ctx, volume.source.driver)) return {};
  if (ctx.reportedInUse && !ctx.reportedInUse(deviceOf(volume))) {
    throw new AttachPendingError(
      `Volume has not been added to the list of VolumesInUse in the node's volume status for volume ${volume.pvName}`,
    );
  }
  const va = ctx.volumeAttachments.get(attachmentName(volume.source.volumeHandle, volume.source.driver, ctx.nodeName));
  if (!va?.status?.attached || va.metadata.deletionTimestamp) {
    throw new AttachPendingError(
      `volume ${volume.pvName} is not attached to node ${ctx.nodeName} yet (VolumeAttachment ${attachmentName(volume.source.volumeHandle, volume.source.driver, ctx.nodeName)})`,
    );
  }
  return { ...(va.status.attachmentMetadata ?? {}) };
}

/** csi_mounter.go: with podInfoOnMount the pod's identity goes into the volume context. */
function volumeContext(ctx: PluginContext, volume: CsiVolume, pod: Pod): Record<string, string> {
  const attributes = { ...(volume.source.volumeAttributes ?? {}) };
  if (ctx.csiDrivers.get(volume.source.driver)?.spec.podInfoOnMount) {
    attributes["csi.storage.k8s.io/pod.name"] = pod.metadata.name ?? "";
    attributes["csi.storage.k8s.io/pod.namespace"] = pod.metadata.namespace ?? "";
    attributes["csi.storage.k8s.io/pod.uid"] = pod.metadata.uid ?? "";
    attributes["csi.storage.k8s.io/serviceAccount.name"] = pod.spec.serviceAccountName ?? "default";
    attributes["csi.storage.k8s.io/ephemeral"] = "false";
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

export const deviceOf = (volume: CsiVolume): string =>
  csiUniqueVolumeName(volume.source.driver, volume.source.volumeHandle);

/** Whether the next step for this volume is staging (so the reconciler can key the step by device). */
export function needsStaging(ctx: PluginContext, volume: CsiVolume, staged: StagedDevice | undefined): boolean {
  if (!ctx.csi.has(volume.source.driver)) return false;
  return ctx.csi.get(volume.source.driver).stageUnstage && (!staged || staged.uncertain);
}

/** MountDevice: NodeStageVolume at the volume's globalmount. One step; publishing is the next. */
export async function stageVolume(ctx: PluginContext, volume: CsiVolume): Promise<StagedDevice> {
  const { driver: driverName, volumeHandle } = volume.source;
  const fail = (err: unknown) => new VolumeOperationError("MountVolume.MountDevice", volume.pvName, describeCause(err));
  let driver: RegisteredDriver;
  try {
    driver = ctx.csi.get(driverName);
  } catch (err) {
    throw fail(`kubernetes.io/csi: attacher.MountDevice failed to create newCsiDriverClient: ${describeCause(err)}`);
  }
  const publish = publishContext(ctx, volume);
  if (volume.volumeMode === "Block") return stageBlockVolume(ctx, volume, driver, capability(volume, driver), publish);
  const stagingPath = ctx.paths.csiGlobalMount(driverName, volumeHandle);
  const device: StagedDevice = {
    uniqueName: deviceOf(volume),
    driver: driverName,
    volumeHandle,
    stagingPath,
    uncertain: false,
  };
  try {
    await mkdir(dirname(stagingPath), { recursive: true, mode: 0o750 });
    const data = { driverName, volumeHandle, specVolID: volume.pvName, nodeName: ctx.nodeName, stagingPath };
    await writeFile(join(dirname(stagingPath), volDataFile), JSON.stringify(data));
    await driver.client.node.NodeStageVolume({
      volume_id: volumeHandle,
      publish_context: publish,
      staging_target_path: stagingPath,
      volume_capability: capability(volume, driver),
      volume_context: volume.source.volumeAttributes ?? {},
      secrets: {},
    });
  } catch (err) {
    throw uncertainUnlessFinal(fail(err), err, { device: { ...device, uncertain: true } });
  }
  return device;
}

/** SetUp: NodePublishVolume at the pod's target path (the driver creates `mount`; we create its parent). */
export async function publishVolume(
  ctx: PluginContext,
  volume: CsiVolume,
  pod: Pod,
  key: string,
): Promise<MountedVolume> {
  const { driver: driverName, volumeHandle } = volume.source;
  const fail = (err: unknown) => new VolumeOperationError("MountVolume.SetUp", volume.pvName, describeCause(err));
  let driver: RegisteredDriver;
  try {
    driver = ctx.csi.get(driverName);
  } catch (err) {
    throw fail(`kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: ${describeCause(err)}`);
  }
  const publish = publishContext(ctx, volume);
  if (volume.volumeMode === "Block") {
    return publishBlockVolume(ctx, volume, pod, key, driver, {
      capability: capability(volume, driver),
      publishContext: publish,
      volumeContext: volumeContext(ctx, volume, pod),
    });
  }
  const dir = ctx.paths.podVolumeDir(volume.podUid, volume.plugin, volume.innerName);
  const targetPath = join(dir, "mount");
  const stagingPath = driver.stageUnstage ? ctx.paths.csiGlobalMount(driverName, volumeHandle) : "";
  const data = { driverName, volumeHandle, specVolID: volume.pvName, nodeName: ctx.nodeName, stagingPath };
  const mounted: MountedVolume = {
    key,
    podUid: volume.podUid,
    plugin: volume.plugin,
    innerName: volume.innerName,
    dir,
    csi: { ...data, targetPath },
    uncertain: false,
  };
  try {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    await writeFile(join(dir, volDataFile), JSON.stringify(data));
    await driver.client.node.NodePublishVolume({
      volume_id: volumeHandle,
      publish_context: publish,
      staging_target_path: stagingPath,
      target_path: targetPath,
      volume_capability: capability(volume, driver),
      readonly: volume.readOnly,
      secrets: {},
      volume_context: volumeContext(ctx, volume, pod),
    });
  } catch (err) {
    throw uncertainUnlessFinal(fail(err), err, { volume: { ...mounted, uncertain: true } });
  }
  return mounted;
}

/** TearDown: NodeUnpublishVolume, then the pod's volume directory goes. */
export async function unpublishVolume(ctx: PluginContext, mounted: MountedVolume): Promise<void> {
  if (mounted.csi?.volumeMode === "Block") return unpublishBlockVolume(ctx, mounted);
  if (mounted.csi) {
    const driver = ctx.csi.get(mounted.csi.driverName);
    try {
      await driver.client.node.NodeUnpublishVolume({
        volume_id: mounted.csi.volumeHandle,
        target_path: mounted.csi.targetPath,
      });
    } catch (err) {
      throw new VolumeOperationError("UnmountVolume.TearDown", mounted.innerName, describeCause(err));
    }
  }
  // rmdir, never rm -r: a directory that is still mounted or holds data is not ours to delete.
  await rmdir(join(mounted.dir, "mount")).catch(() => undefined);
  await rm(join(mounted.dir, volDataFile), { force: true });
  await rmdir(mounted.dir);
}

/**
 * After a NodeStageVolume refused for certain (nothing staged): remove what stageVolume wrote for it. rmdir only, so
 * a directory the driver did put something in stays for unstaging.
 */
export async function forgetStaging(ctx: PluginContext, volume: CsiVolume): Promise<void> {
  if (volume.volumeMode === "Block") {
    const dataDir = ctx.paths.csiBlockDataDir(volume.pvName);
    // Another pod's publish of this PV (a driver without staging) still needs the data file.
    const published = await readdir(ctx.paths.csiBlockPublishDir(volume.pvName)).catch(() => []);
    await rmdir(ctx.paths.csiBlockStagingPath(volume.pvName)).catch(() => undefined);
    if (published.length > 0) return;
    await rm(join(dataDir, volDataFile), { force: true });
    await rmdir(dataDir).catch(() => undefined);
    await rmdir(dirname(dataDir)).catch(() => undefined);
    return;
  }
  const stagingPath = ctx.paths.csiGlobalMount(volume.source.driver, volume.source.volumeHandle);
  await rmdir(stagingPath).catch(() => undefined);
  await rm(join(dirname(stagingPath), volDataFile), { force: true });
  await rmdir(dirname(stagingPath)).catch(() => undefined);
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

/** UnmountDevice: NodeUnstageVolume, then the staging directory goes. */
export async function unstageVolume(ctx: PluginContext, device: StagedDevice): Promise<void> {
  if (device.blockPvName !== undefined) return unstageBlockVolume(ctx, device, device.blockPvName);
  await nodeUnstage(ctx, device, "UnmountDevice");
  await rm(join(dirname(device.stagingPath), volDataFile), { force: true });
  await rmdir(dirname(device.stagingPath));
}
