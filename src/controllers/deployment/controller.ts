// The Deployment controller (upstream pkg/controller/deployment): ReplicaSets named by pod-template-hash, one per
// template, with revisions for `kubectl rollout history|undo`; RollingUpdate (maxSurge, maxUnavailable) and Recreate
// (every old pod gone before a new one starts, so a ReadWriteOnce claim is handed over cleanly); pause and resume;
// resizing mid-rollout spread proportionally; revisionHistoryLimit; the Available and Progressing conditions with
// progressDeadlineSeconds. The pods themselves are the ReplicaSet controller's. This file is the wiring; the sync is
// in sync.ts.
import type { ReplicaSet } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import type { KubeObject } from "../../api/meta.js";
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, createEventRecorder, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { controllerOf } from "../common/controllerref.js";
import { syncDeployment } from "./sync.js";

export { syncDeployment } from "./sync.js";

export interface DeploymentContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startDeploymentController: StartLoop<DeploymentContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { deployments, replicaSets, pods } = informers;
  const recorder = createEventRecorder(client.events, { component: "deployment-controller", log });
  const queue = new WorkQueue<string>({ name: "deployment", log });
  const ownerOf = (object: KubeObject, kind: string) => {
    const ref = controllerOf(object);
    return ref?.kind === kind ? `${object.metadata.namespace ?? ""}/${ref.name}` : undefined;
  };
  /** A set wakes its Deployment; an orphan set wakes every Deployment that might adopt it. */
  const wakeForSet = (set: ReplicaSet) => {
    const key = ownerOf(set, "Deployment");
    if (key) return queue.add(key);
    for (const d of deployments.list({ namespace: set.metadata.namespace ?? "" })) queue.add(keyOf(d));
  };
  /** Recreate waits for old pods to be gone: their deletion wakes the Deployment that owns their set. */
  const wakeForPod = (pod: Pod) => {
    const setKey = ownerOf(pod, "ReplicaSet");
    const set = setKey ? replicaSets.get(setKey) : undefined;
    const key = set ? ownerOf(set, "Deployment") : undefined;
    if (key) queue.add(key);
  };
  removeWhenAborted(signal, [
    deployments.onChange((d) => queue.add(keyOf(d))),
    replicaSets.onChange(wakeForSet),
    replicaSets.onDelete(wakeForSet),
    pods.onDelete(wakeForPod),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => deployments.keys().forEach((key) => queue.add(key)));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const requeueAfter = (key: string, delayMs: number) => queue.addAfter(key, delayMs);
  const sync = { client, deployments, replicaSets, pods, recorder, requeueAfter };
  const workers = queue.work(signal, (key) => syncDeployment(sync, key), ctx.workers ?? 2);
  return { done: workers.then(() => recorder.flush()) };
};
