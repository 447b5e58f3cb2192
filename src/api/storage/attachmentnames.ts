// Names the attach/detach controller, csi-attacher and the node agent must all compute alike, spelled as upstream
// computes them: users find their VolumeAttachment by name (`kubectl get volumeattachment`), and each side looks
// it up by that name.
import { createHash } from "node:crypto";
import { CSIPluginName } from "../wellknown.js";

/**
 * pkg/volume/csi/csi_attacher.go getAttachmentName: "csi-" + hex sha256 of handle, driver and node, concatenated
 * with no separator. Deterministic, so a restarted controller finds (never duplicates) what it created.
 */
export function attachmentName(volumeHandle: string, driver: string, nodeName: string): string {
  return `csi-${createHash("sha256").update(`${volumeHandle}${driver}${nodeName}`).digest("hex")}`;
}

/**
 * The unique volume name in node.status.volumesInUse/volumesAttached: "kubernetes.io/csi/<driver>^<handle>"
 * (the CSI plugin's GetVolumeName joined to its plugin name, as the kubelet and the controller write it).
 */
export function uniqueVolumeName(driver: string, volumeHandle: string): string {
  return `${CSIPluginName}/${driver}^${volumeHandle}`;
}
