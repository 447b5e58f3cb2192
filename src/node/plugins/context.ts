// What every volume plugin gets: the layout, the registered CSI drivers, the caches it reads, the actual state.
import type { ConfigMap, Pod, Secret } from "../../api/core/types.js";
import type { CSIDriver, VolumeAttachment } from "../../api/storage/types.js";
import type { Lister } from "../../client/index.js";
import { grpcErrorText } from "../../csi/errors.js";
import type { CsiRegistry } from "../csidrivers.js";
import type { NodePaths } from "../paths.js";

export interface PluginContext {
  paths: NodePaths;
  nodeName: string;
  csi: CsiRegistry;
  csiDrivers: Lister<CSIDriver>;
  volumeAttachments: Lister<VolumeAttachment>;
  configMaps: Lister<ConfigMap>;
  secrets: Lister<Secret>;
}

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

/** Not an error to report: the volume waits for the attach/detach controller (counted as "unattached"). */
export class AttachPendingError extends Error {
  override name = "AttachPendingError";
}

/** Go's grpc status text, as kubelet events show CSI failures: "rpc error: code = NotFound desc = …". */
export const describeCause = grpcErrorText;

export type { Pod };
