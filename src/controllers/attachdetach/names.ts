// Names the attach-detach controller shares with upstream, spelled as upstream computes them: users find their
// VolumeAttachment by name (`kubectl get volumeattachment`), and node agents look it up the same way.
import { createHash } from "node:crypto";
import type { PersistentVolume, PersistentVolumeAccessMode } from "../../api/core/types.js";
import { CSIPluginName } from "../../api/wellknown.js";

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

/**
 * pkg/volume/util IsMultiAttachAllowed for a PV: no access modes → allowed (let the driver decide); otherwise
 * only ReadWriteMany or ReadOnlyMany allow a second node. ReadWriteOnce and ReadWriteOncePod are single-node.
 */
export function multiAttachAllowed(volume: PersistentVolume): boolean {
  const modes: PersistentVolumeAccessMode[] = volume.spec.accessModes ?? [];
  if (modes.length === 0) return true;
  return modes.some((mode) => mode === "ReadWriteMany" || mode === "ReadOnlyMany");
}

/** operationexecutor's GenerateMsg: `<prefix> for volume "<spec name>" <suffix>` (the suffix may be empty). */
export function volumeMessage(prefix: string, volumeName: string, suffix: string): string {
  return `${prefix} for volume ${JSON.stringify(volumeName)} ${suffix}`;
}

export interface PodName {
  namespace: string;
  name: string;
}

/**
 * reconciler.reportMultiAttachError's text for a pod in `namespace`: the blocking pods by name when they share
 * its namespace, only a count for others (a namespace's users must not learn other namespaces' pod names), and
 * the "exclusively attached" wording when no pod on the other node still wants the volume.
 */
export function multiAttachMessage(volumeName: string, namespace: string, blockingPods: PodName[]): string {
  if (blockingPods.length === 0) {
    return volumeMessage(
      "Multi-Attach error",
      volumeName,
      "Volume is already exclusively attached to one node and can't be attached to another",
    );
  }
  const local = blockingPods.filter((pod) => pod.namespace === namespace).map((pod) => pod.name);
  const others = blockingPods.length - local.length;
  let suffix: string;
  if (local.length > 0) {
    suffix = `Volume is already used by pod(s) ${local.join(", ")}`;
    if (others > 0) suffix = `${suffix} and ${others} pod(s) in different namespaces`;
  } else {
    suffix = `Volume is already used by ${others} pod(s) in different namespaces`;
  }
  return volumeMessage("Multi-Attach error", volumeName, suffix);
}
