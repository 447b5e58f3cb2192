// The DaemonSet controller (upstream pkg/controller/daemon): one pod per eligible node (nodeSelector, required node
// affinity, taints and tolerations), bound there by the scheduler through a matchFields node affinity; a new node
// gets its pod, a node that stops qualifying loses it; RollingUpdate replaces old-template pods up to maxUnavailable
// at a time (maxSurge is not used), OnDelete waits for the user. Templates are kept as ControllerRevisions
// (history.ts) for `kubectl rollout history|undo ds`; pods carry their controller-revision-hash. Wiring here, sync in
// sync.ts.
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, createEventRecorder, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { Expectations } from "../common/expectations.js";
import { watchOwnedPods } from "../common/ownedpods.js";
import { controllerRevisionResource } from "../statefulset/revision.js";
import { syncDaemonSet } from "./sync.js";

export { syncDaemonSet } from "./sync.js";

export interface DaemonSetContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startDaemonSetController: StartLoop<DaemonSetContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { daemonSets, nodes, pods } = informers;
  const revisions = informers.informerFor(client.resource(controllerRevisionResource));
  const recorder = createEventRecorder(client.events, { component: "daemonset-controller", log });
  const queue = new WorkQueue<string>({ name: "daemonset", log });
  const expectations = new Expectations();

  const all = () => daemonSets.keys().forEach((key) => queue.add(key));
  removeWhenAborted(signal, [
    daemonSets.onChange((set) => queue.add(keyOf(set))),
    daemonSets.onDelete((set) => expectations.forget(keyOf(set))),
    // A node added, relabelled or tainted may gain or lose a daemon pod of any set.
    nodes.onChange(all),
    nodes.onDelete(all),
    ...watchOwnedPods(pods, "DaemonSet", expectations, (key) => queue.add(key)),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, all);

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const sync = { client, daemonSets, nodes, pods, revisions, recorder, expectations };
  const workers = queue.work(signal, (key) => syncDaemonSet(sync, key), ctx.workers ?? 2);
  return { done: workers.then(() => recorder.flush()) };
};
