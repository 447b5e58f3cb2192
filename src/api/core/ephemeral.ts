// Generic ephemeral volumes (upstream k8s.io/component-helpers/storage/ephemeral): a pod's volume with
// ephemeral.volumeClaimTemplate is backed by the claim "<pod>-<volume>" that the ephemeral volume controller creates
// owned by the pod. Every part that follows a pod to its claims (controllers, scheduler, node agent, Node
// authorizer) names them the same way and trusts such a claim only when the pod owns it.
import type { PersistentVolumeClaim, Pod, Volume } from "./types.js";

/** ephemeral.VolumeClaimName: the claim of a generic ephemeral volume. */
export const ephemeralClaimName = (pod: Pod, volume: Volume): string => `${pod.metadata.name ?? ""}-${volume.name}`;

export interface PodVolumeClaim {
  volume: Volume;
  claimName: string;
  /** A generic ephemeral volume's claim, which must be owned by the pod before anything uses it. */
  ephemeral: boolean;
}

/** The claims a pod's volumes use, in volume order: persistentVolumeClaim volumes and generic ephemeral ones. */
export function podVolumeClaims(pod: Pod): PodVolumeClaim[] {
  const out: PodVolumeClaim[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.persistentVolumeClaim?.claimName) {
      out.push({ volume, claimName: volume.persistentVolumeClaim.claimName, ephemeral: false });
    } else if (volume.ephemeral) {
      out.push({ volume, claimName: ephemeralClaimName(pod, volume), ephemeral: true });
    }
  }
  return out;
}

/**
 * ephemeral.VolumeIsForPod: undefined when the pod controls the claim (metav1.IsControlledBy: the controller owner
 * reference has the pod's uid) in its namespace, else upstream's error message. A claim of that name made by
 * someone else must never be used (it may hold their data).
 */
export function volumeIsForPod(pod: Pod, claim: PersistentVolumeClaim): string | undefined {
  const controller = (claim.metadata.ownerReferences ?? []).find((ref) => ref.controller);
  const sameNamespace = (claim.metadata.namespace ?? "") === (pod.metadata.namespace ?? "");
  if (sameNamespace && controller && controller.uid === pod.metadata.uid) return undefined;
  const podKey = `${pod.metadata.namespace ?? ""}/${pod.metadata.name ?? ""}`;
  return `PVC ${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""} was not created for pod ${podKey} (pod is not owner)`;
}

/** upstream's scheduler message while the ephemeral volume controller has not yet made a pod's claim. */
export const waitingForEphemeralClaim = (claimName: string): string =>
  `waiting for ephemeral volume controller to create the persistentvolumeclaim "${claimName}"`;
