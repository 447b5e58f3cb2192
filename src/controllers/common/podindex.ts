// Pods by the claims they use, as upstream's common.PodPVCIndexFunc: "namespace/claim" for each
// persistentVolumeClaim volume and each generic ephemeral volume ("<pod>-<volume>"). Shared by the binder
// (pods waiting for a WaitForFirstConsumer claim) and the pvc-protection controller.
import type { Pod } from "../../api/core/types.js";
import type { Informer } from "../../client/index.js";

export const podClaimIndex = "pod-pvc";

/** The claims a pod's volumes name. */
export function claimNamesOf(pod: Pod): string[] {
  const names: string[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.persistentVolumeClaim?.claimName) names.push(volume.persistentVolumeClaim.claimName);
    else if (volume.ephemeral) names.push(`${pod.metadata.name}-${volume.name}`);
  }
  return names;
}

/** Adds the index once per shared informer, whichever controller asks first. */
export function ensurePodClaimIndex(pods: Informer<Pod>): void {
  try {
    pods.addIndexer(podClaimIndex, (pod) =>
      claimNamesOf(pod).map((claim) => `${pod.metadata.namespace ?? ""}/${claim}`),
    );
  } catch {
    // already added by another controller on this shared informer: the same function, so nothing to do
  }
}
