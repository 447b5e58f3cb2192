// The ReplicaSet controller (upstream pkg/controller/replicaset): each set keeps spec.replicas pods stamped from its
// template, adopting matching orphans and releasing pods whose labels moved away. Expectations keep a sync from
// acting on a cache that has not yet seen its last creates and deletes; a set waiting for minReadySeconds is
// re-checked when its pods become available. This file is the wiring; the sync is in sync.ts.
import type { ReplicaSet } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, createEventRecorder, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { controllerOf } from "../common/controllerref.js";
import { Expectations } from "../common/expectations.js";
import { syncReplicaSet } from "./sync.js";

export { syncReplicaSet } from "./sync.js";

export interface ReplicaSetContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startReplicaSetController: StartLoop<ReplicaSetContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { replicaSets, pods } = informers;
  const recorder = createEventRecorder(client.events, { component: "replicaset-controller", log });
  const queue = new WorkQueue<string>({ name: "replicaset", log });
  const expectations = new Expectations();
  const ownerKey = (pod: Pod) => {
    const ref = controllerOf(pod);
    return ref?.kind === "ReplicaSet" ? `${pod.metadata.namespace ?? ""}/${ref.name}` : undefined;
  };
  /** An orphan wakes every set that might adopt it; an owned pod wakes its owner. */
  const wake = (pod: Pod) => {
    const key = ownerKey(pod);
    if (key) return queue.add(key);
    for (const set of replicaSets.list({ namespace: pod.metadata.namespace ?? "" })) queue.add(keyOf(set));
  };
  const wakeWhenAvailable = (set: ReplicaSet) => {
    const minReadySeconds = set.spec.minReadySeconds ?? 0;
    if (minReadySeconds > 0) queue.addAfter(keyOf(set), minReadySeconds * 1000 + 100);
  };
  removeWhenAborted(signal, [
    replicaSets.onChange((set) => queue.add(keyOf(set))),
    replicaSets.onDelete((set) => expectations.forget(keyOf(set))),
    pods.onAdd((pod) => {
      const key = ownerKey(pod);
      if (key) expectations.creationObserved(key);
      wake(pod);
    }),
    pods.onUpdate((old, pod) => {
      const key = ownerKey(pod);
      // A pod going away gracefully counts as deleted as soon as it carries its deletionTimestamp.
      if (key && pod.metadata.deletionTimestamp) expectations.deletionObserved(key, pod.metadata.uid ?? "");
      const oldKey = ownerKey(old);
      if (oldKey && oldKey !== key) queue.add(oldKey);
      wake(pod);
      const set = key ? replicaSets.get(key) : undefined;
      if (set) wakeWhenAvailable(set);
    }),
    pods.onDelete((pod) => {
      const key = ownerKey(pod);
      if (key) expectations.deletionObserved(key, pod.metadata.uid ?? "");
      wake(pod);
    }),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => replicaSets.keys().forEach((key) => queue.add(key)));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const sync = { client, replicaSets, pods, recorder, expectations };
  const workers = queue.work(signal, (key) => syncReplicaSet(sync, key), ctx.workers ?? 2);
  return { done: workers.then(() => recorder.flush()) };
};
