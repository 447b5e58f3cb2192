// What every volume plugin gets: the layout, the registered CSI drivers, the caches it reads, the actual state.
// Attachments, configMaps and secrets come from the agent's per-object caches (objectcache/): a node may read only
// those its pods need, one by one.
import type { ConfigMap, Pod, Secret } from "../../api/core/types.js";
import type { CSIDriver, VolumeAttachment } from "../../api/storage/types.js";
import type { Lister } from "../../client/index.js";
import { Code, grpcErrorText, isCsiError } from "../../csi/errors.js";
import type { CsiRegistry } from "../csidrivers.js";
import type { ObjectReader } from "../objectcache/reader.js";
import type { NodePaths } from "../paths.js";
import type { TokenManager } from "../tokenmanager.js";
import type { MountedVolume, StagedDevice } from "../volumemanager/actual.js";

export interface PluginContext {
  paths: NodePaths;
  nodeName: string;
  csi: CsiRegistry;
  csiDrivers: Lister<CSIDriver>;
  volumeAttachments: ObjectReader<VolumeAttachment>;
  configMaps: ObjectReader<ConfigMap>;
  secrets: ObjectReader<Secret>;
  /**
   * Whether node.status.volumesAttached, as last seen (cached, cheap), lists this unique volume name: checked before
   * the VolumeAttachment is read, as the kubelet verifies the attach before waiting on the attachment.
   */
  attachedInNodeStatus?: (uniqueName: string) => boolean;
  /** Whether node.status.volumesInUse, as last written, lists this unique volume name (upstream's ReportedInUse). */
  reportedInUse?: (uniqueName: string) => boolean;
  /** node.status.volumesAttached read afresh from the API (what the attach/detach controller reports attached). */
  volumesAttached?: () => Promise<string[]>;
  /** ServiceAccount tokens for projected serviceAccountToken sources. */
  serviceAccountTokens?: TokenManager;
}

/** What a volume set up at `dir` is in the actual state: certain, as it was just done. */
export const setUpAt = (
  volume: { podUid: string; plugin: string; innerName: string },
  key: string,
  dir: string,
  more: Pick<MountedVolume, "csi" | "sourceVersion"> = {},
): MountedVolume => ({
  key,
  podUid: volume.podUid,
  plugin: volume.plugin,
  innerName: volume.innerName,
  dir,
  ...more,
  uncertain: false,
});

/** A failed step, worded for the pod's FailedMount event: `<operation> failed for volume "<name>" : <cause>`. */
export class VolumeOperationError extends Error {
  override name = "VolumeOperationError";
  constructor(
    readonly operation: string,
    readonly volumeName: string,
    readonly reason: string,
  ) {
    // operationexecutor.VolumeToMount.GenerateError's simple message.
    super(`${operation} failed for volume "${volumeName}" : ${reason}`);
  }
}

/**
 * csi_client.go isFinalError: a CSI call that timed out, was cancelled or aborted, or found the driver unavailable
 * may still be going on in the driver, so what it was doing is "uncertain" (not a gRPC status at all: the same).
 */
export function isFinalError(err: unknown): boolean {
  if (!isCsiError(err)) return false;
  return ![Code.CANCELLED, Code.DEADLINE_EXCEEDED, Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.ABORTED].includes(
    err.code,
  );
}

/**
 * A NodeStage/NodePublish that failed without a final answer: the reconciler records the device or volume as
 * uncertain (actual_state_of_world's uncertain states), so it is staged/published again while a pod needs it and
 * unstaged/unpublished, with its directories removed, once none does.
 */
export class UncertainOperationError extends VolumeOperationError {
  override name = "UncertainOperationError";
  constructor(
    cause: VolumeOperationError,
    readonly uncertain: { device: StagedDevice } | { volume: MountedVolume },
  ) {
    super(cause.operation, cause.volumeName, cause.reason);
  }
}

/** Not an error to report: the volume waits for the attach/detach controller (counted as "unattached"). */
export class AttachPendingError extends Error {
  override name = "AttachPendingError";
}

/** Go's grpc status text, as kubelet events show CSI failures: "rpc error: code = NotFound desc = …". */
export const describeCause = grpcErrorText;

export type { Pod };
