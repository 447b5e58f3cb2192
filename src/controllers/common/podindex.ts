// Pods by the claims they use, as upstream's common.PodPVCIndexFunc: "namespace/claim" for each
// persistentVolumeClaim volume and each generic ephemeral volume ("<pod>-<volume>"). Shared by the binder
// (pods waiting for a WaitForFirstConsumer claim), the pvc-protection and the attach-detach controllers.
import type { Pod } from "../../api/core/types.js";
import { podVolumeClaims } from "../../api/core/ephemeral.js";
import type { KubeObject } from "../../api/meta.js";
import type { IndexFunc, Informer } from "../../client/index.js";

export const podClaimIndex = "pod-pvc";

/** The claims a pod's volumes name. */
export function claimNamesOf(pod: Pod): string[] {
  return podVolumeClaims(pod).map((c) => c.claimName);
}

/** Adds an index once per shared informer, whichever loop asks first (or a loop started again on the same one). */
export function addIndexerOnce<T extends KubeObject>(informer: Informer<T>, name: string, fn: IndexFunc<T>): void {
  try {
    informer.addIndexer(name, fn);
  } catch {
    // already added by another controller on this shared informer: the same function, so nothing to do
  }
}

export function ensurePodClaimIndex(pods: Informer<Pod>): void {
  addIndexerOnce(pods, podClaimIndex, (pod) =>
    claimNamesOf(pod).map((claim) => `${pod.metadata.namespace ?? ""}/${claim}`),
  );
}
