// The pvc-protection controller (upstream pkg/controller/volume/pvcprotection): a claim carries the
// kubernetes.io/pvc-protection finalizer while it lives; once deleted it stays Terminating until no Pod uses it,
// then the finalizer goes and the apiserver removes it. A pod uses a claim when it is scheduled (spec.nodeName
// set: only then can a kubelet have it mounted, and kubelets refuse to start a pod on a deleting claim) and has
// not finished (Succeeded/Failed). The informer's answer "unused" is checked against a live pod list before the
// finalizer goes, so a pod created a moment ago still counts.
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { Client, Informer } from "../../client/index.js";
import { WorkQueue, isNotFound, keyOf } from "../../client/index.js";
import { PVCProtectionFinalizer } from "../../api/wellknown.js";
import { claimNamesOf, ensurePodClaimIndex, podClaimIndex } from "../common/podindex.js";
import type { Log } from "../../support/log.js";
import { every, runWorkers } from "../common/run.js";

export interface ProtectionOptions {
  client: Client;
  claims: Informer<PersistentVolumeClaim>;
  pods: Informer<Pod>;
  workers?: number;
  resyncPeriodMs?: number;
  log: Log;
}

/** A pod that has finished no longer holds its claims. */
export function podIsTerminated(pod: Pod): boolean {
  return pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
}

/** podUsesPVC: scheduled, not finished, and one of its volumes names the claim. */
export function podUsesClaim(pod: Pod, claim: PersistentVolumeClaim): boolean {
  if (!pod.spec.nodeName || podIsTerminated(pod)) return false;
  if ((pod.metadata.namespace ?? "") !== (claim.metadata.namespace ?? "")) return false;
  return claimNamesOf(pod).includes(claim.metadata.name ?? "");
}

export function startPVCProtection(options: ProtectionOptions, signal: AbortSignal): Promise<void> {
  const { client, claims, pods, log } = options;
  const queue = new WorkQueue<string>({ name: "pvcprotection", log });
  ensurePodClaimIndex(pods);

  const enqueuePodClaims = (pod: Pod) => {
    for (const name of claimNamesOf(pod)) queue.add(`${pod.metadata.namespace ?? ""}/${name}`);
  };
  const offs = [
    claims.onChange((claim) => queue.add(keyOf(claim))),
    pods.addHandlers({
      add: enqueuePodClaims,
      update(old, pod) {
        enqueuePodClaims(pod);
        // A pod re-created under the same name may no longer use what the old one did.
        if (old.metadata.uid !== pod.metadata.uid) enqueuePodClaims(old);
      },
      delete: enqueuePodClaims,
    }),
  ];
  signal.addEventListener("abort", () => offs.forEach((off) => off()), { once: true });
  every(options.resyncPeriodMs ?? 0, signal, () => claims.keys().forEach((key) => queue.add(key)));

  async function isBeingUsed(claim: PersistentVolumeClaim): Promise<boolean> {
    const key = keyOf(claim);
    if (pods.byIndex(podClaimIndex, key).some((pod) => podUsesClaim(pod, claim))) return true;
    // The cache may lag a pod just created: ask the apiserver before letting the claim go.
    const live = await client.pods.list({ namespace: claim.metadata.namespace });
    return live.items.some((pod) => podUsesClaim(pod, claim));
  }

  async function sync(key: string): Promise<void> {
    const claim = claims.get(key);
    if (!claim) return;
    const finalizers = claim.metadata.finalizers ?? [];
    const has = finalizers.includes(PVCProtectionFinalizer);
    if (!claim.metadata.deletionTimestamp) {
      if (has) return;
      // Claims created before this controller (or admission) ran get the finalizer too.
      const next = structuredClone(claim) as PersistentVolumeClaim;
      next.metadata.finalizers = [...finalizers, PVCProtectionFinalizer];
      await client.persistentVolumeClaims.update(next);
      return;
    }
    if (!has || (await isBeingUsed(claim))) return; // a pod event or the resync brings us back
    const next = structuredClone(claim) as PersistentVolumeClaim;
    next.metadata.finalizers = finalizers.filter((f) => f !== PVCProtectionFinalizer);
    try {
      await client.persistentVolumeClaims.update(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  return runWorkers(queue, signal, options.workers ?? 4, sync, log);
}
