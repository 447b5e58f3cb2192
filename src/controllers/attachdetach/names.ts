// The attach-detach controller's rules and messages as upstream words them: when a second node may attach a volume,
// and the Multi-Attach error that says who holds it. (The names it shares with csi-attacher and the node agent are
// in src/api/storage/attachmentnames.ts.)
import type { PersistentVolume, PersistentVolumeAccessMode } from "../../api/core/types.js";

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
