// The pvc-protection controller (upstream pkg/controller/volume/pvcprotection): a claim carries the
// kubernetes.io/pvc-protection finalizer while it lives; once deleted it stays Terminating until no Pod uses it,
// then the finalizer goes and the apiserver removes it. A pod uses a claim when it is scheduled (spec.nodeName
// set: only then can a kubelet have it mounted, and kubelets refuse to start a pod on a deleting claim) and has
// not finished (Succeeded/Failed). The informer's answer "unused" is checked against a live pod list before the
// finalizer goes, so a pod created a moment ago still counts. The decision is in sync.ts; this is the wiring.
import type { Pod } from "../../api/core/types.js";
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { claimNamesOf, ensurePodClaimIndex } from "../common/podindex.js";
import { syncClaim } from "./sync.js";

export { podIsTerminated, podUsesClaim } from "./sync.js";

export interface PVCProtectionContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startPVCProtection: StartLoop<PVCProtectionContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { persistentVolumeClaims: claims, pods } = informers;
  const queue = new WorkQueue<string>({ name: "pvcprotection", log });
  ensurePodClaimIndex(pods);

  const enqueuePodClaims = (pod: Pod) => {
    for (const name of claimNamesOf(pod)) queue.add(`${pod.metadata.namespace ?? ""}/${name}`);
  };
  removeWhenAborted(signal, [
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
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => queue.resync(claims.keys()));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const sync = { client, claims, pods };
  return { done: queue.work(signal, (key) => syncClaim(sync, key), ctx.workers ?? 4) };
};
