// What every attacher sync reads: the driver, the informers' caches, and the options it was started with.
import type { Node, PersistentVolume } from "../../../api/core/types.js";
import type { CSINode, VolumeAttachment } from "../../../api/storage/types.js";
import type { Client, Lister } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";
import { Code, CsiError } from "../../errors.js";

export type Log = (message: string, fields?: Record<string, unknown>) => void;

export interface AttacherContext {
  client: Client;
  csi: CsiClient;
  /** GetPluginInfo's name: this attacher handles VolumeAttachments whose spec.attacher is this. */
  driverName: string;
  attachments: Lister<VolumeAttachment>;
  volumes: Lister<PersistentVolume>;
  csiNodes: Lister<CSINode>;
  nodes: Lister<Node>;
  /** PUBLISH_READONLY: "CO MUST set readonly to false if SP does not have the capability". */
  supportsPublishReadOnly: boolean;
  supportsSingleNodeMultiWriter: boolean;
  defaultFsType: string;
  /** Deadline of ControllerPublish/ControllerUnpublish (upstream --timeout, 15 s). */
  timeoutMs: number;
  /**
   * VolumeAttachments the reconciler found out of step with the driver (ListVolumes): their next sync attaches or
   * detaches even though status.attached or a missing finalizer says there is nothing to do.
   */
  forceSync: Set<string>;
  /** Aborts in-flight CSI calls when the attacher stops. */
  signal: AbortSignal;
  log: Log;
}

// grpc-go's names for the codes, as they appear in its error strings ("rpc error: code = NotFound desc = …").
const goCodeNames: Record<number, string> = {
  [Code.CANCELLED]: "Canceled",
  [Code.UNKNOWN]: "Unknown",
  [Code.INVALID_ARGUMENT]: "InvalidArgument",
  [Code.DEADLINE_EXCEEDED]: "DeadlineExceeded",
  [Code.NOT_FOUND]: "NotFound",
  [Code.ALREADY_EXISTS]: "AlreadyExists",
  [Code.PERMISSION_DENIED]: "PermissionDenied",
  [Code.RESOURCE_EXHAUSTED]: "ResourceExhausted",
  [Code.FAILED_PRECONDITION]: "FailedPrecondition",
  [Code.ABORTED]: "Aborted",
  [Code.OUT_OF_RANGE]: "OutOfRange",
  [Code.UNIMPLEMENTED]: "Unimplemented",
  [Code.INTERNAL]: "Internal",
  [Code.UNAVAILABLE]: "Unavailable",
  [Code.DATA_LOSS]: "DataLoss",
  [Code.UNAUTHENTICATED]: "Unauthenticated",
};

/**
 * The text upstream saves in attachError/detachError: err.Error() of what failed — for a CSI call grpc-go's
 * "rpc error: code = <Code> desc = <driver's message>", which is what users search for.
 */
export function errorText(err: unknown): string {
  if (err instanceof CsiError) return `rpc error: code = ${goCodeNames[err.code] ?? err.code} desc = ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** A reason to retry that is not a CSI error (no CSINode, PV missing, …): saved as the attach/detach error. */
export class AttachPreconditionError extends Error {
  override name = "AttachPreconditionError";
}
