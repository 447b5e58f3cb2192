// What every attacher sync reads: the driver, the informers' caches, and the options it was started with.
import type { Node, PersistentVolume } from "../../../api/core/types.js";
import type { CSINode, VolumeAttachment } from "../../../api/storage/types.js";
import type { Client, Lister } from "../../../client/index.js";
import type { CsiClient } from "../../client.js";

import type { Log } from "../../../support/log.js";

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

/** A reason to retry that is not a CSI error (no CSINode, PV missing, …): saved as the attach/detach error. */
export class AttachPreconditionError extends Error {
  override name = "AttachPreconditionError";
}
