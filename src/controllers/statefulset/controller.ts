// The StatefulSet controller (upstream pkg/controller/statefulset) for what stowage's seeds use: pods
// `<set>-<ordinal>` created in order (OrderedReady) or all at once (Parallel), each with its claims from
// volumeClaimTemplates created first and reused when the pod comes back, scale up/down highest ordinal first,
// persistentVolumeClaimRetentionPolicy through owner references (the garbage collector deletes), revisions as
// ControllerRevisions with RollingUpdate (highest ordinal first, one pod at a time, partition honoured) and OnDelete
// updates, revisionHistoryLimit, and status.
// Not supported: rollingUpdate.maxUnavailable (dropped by the apiserver as upstream does while its feature gate is
// off), adoption of orphan pods and revisions, minReadySeconds, updating a live pod's identity or storage in place.
// This file is the wiring; the sync is in sync.ts.
import type { KubeObject } from "../../api/meta.js";
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, createEventRecorder, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { controllerRevisionResource } from "./revision.js";
import { syncStatefulSet } from "./sync.js";

export { isRunningAndReady, podState, syncStatefulSet } from "./sync.js";

export interface StatefulSetContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

/** The set a pod (or revision) belongs to, from its controller reference. */
function ownerSetKey(pod: KubeObject): string | undefined {
  const ref = (pod.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === "StatefulSet");
  return ref ? `${pod.metadata.namespace ?? ""}/${ref.name}` : undefined;
}

export const startStatefulSetController: StartLoop<StatefulSetContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { statefulSets, pods, persistentVolumeClaims: claims } = informers;
  const revisions = informers.informerFor(client.resource(controllerRevisionResource));
  const recorder = createEventRecorder(client.events, { component: "statefulset-controller", log });
  const queue = new WorkQueue<string>({ name: "statefulset", log });
  const enqueuePod = (pod: KubeObject) => {
    const key = ownerSetKey(pod);
    if (key) queue.add(key);
  };
  removeWhenAborted(signal, [
    statefulSets.onChange((set) => queue.add(keyOf(set))),
    pods.onChange(enqueuePod),
    pods.onDelete(enqueuePod),
    // A claim of ours deleted or changed (e.g. bound) may need re-creating or new owner references.
    claims.onChange((claim) => {
      for (const ref of claim.metadata.ownerReferences ?? [])
        if (ref.kind === "StatefulSet") queue.add(`${claim.metadata.namespace ?? ""}/${ref.name}`);
    }),
    // A revision written, renumbered or pruned (by us or by hand) changes what the set's sync decides.
    revisions.onChange(enqueuePod),
    revisions.onDelete(enqueuePod),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => statefulSets.keys().forEach((key) => queue.add(key)));

  // Act only on a full picture.
  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const sync = { client, statefulSets, pods, claims, revisions, recorder };
  const workers = queue.work(signal, (key) => syncStatefulSet(sync, key), ctx.workers ?? 2);
  return { done: workers.then(() => recorder.flush()) };
};
