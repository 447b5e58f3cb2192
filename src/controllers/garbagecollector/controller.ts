// A minimal garbage collector (upstream pkg/controller/garbagecollector) for pods, claims, StatefulSets and their
// ControllerRevisions, Deployments and ReplicaSets, Jobs and CronJobs:
// - a dependent whose every owner (by uid) is gone is deleted with background propagation;
// - an owner deleted with propagationPolicy=Foreground carries the `foregroundDeletion` finalizer: its dependents
//   are deleted first, then the finalizer goes (and the apiserver removes the owner);
// - an owner deleted with propagationPolicy=Orphan carries the `orphan` finalizer: its dependents lose their
//   owner reference to it, then the finalizer goes.
// Owners of other kinds are assumed to exist (we do not watch them), so their dependents are never collected.
// This file is the wiring; the sync is in sync.ts.
import type { KubeObject } from "../../api/meta.js";
import type { Informer, ResourceClient, StartLoop } from "../../client/index.js";
import { WorkQueue, every, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { addIndexerOnce } from "../common/podindex.js";
import { controllerRevisionResource } from "../statefulset/revision.js";
import type { GarbageCollectorSync, Tracked } from "./sync.js";
import { dependentsOf, keyFor, ownerUidIndex, syncObject, trackedKind } from "./sync.js";

export { FinalizerDeleteDependents, FinalizerOrphanDependents, syncObject } from "./sync.js";

export interface GarbageCollectorContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

/** Pods, claims and the workloads that own them (and StatefulSets' ControllerRevisions): informer and API each. */
export function trackedKinds({ client, informers }: LoopContext): Tracked[] {
  const revisions = client.resource(controllerRevisionResource);
  const track = <T extends KubeObject>(kind: Tracked["kind"], informer: Informer<T>, resource: ResourceClient<T>) => ({
    kind,
    informer: informer as unknown as Informer<KubeObject>,
    resource: resource as unknown as ResourceClient<KubeObject>,
  });
  return [
    track("Pod", informers.pods, client.pods),
    track("PersistentVolumeClaim", informers.persistentVolumeClaims, client.persistentVolumeClaims),
    track("StatefulSet", informers.statefulSets, client.statefulSets),
    track("Deployment", informers.deployments, client.deployments),
    track("ReplicaSet", informers.replicaSets, client.replicaSets),
    track("DaemonSet", informers.daemonSets, client.daemonSets),
    track("Job", informers.jobs, client.jobs),
    track("CronJob", informers.cronJobs, client.cronJobs),
    // A set's ControllerRevisions are collected with the set (they are dependents, never owners here).
    track("ControllerRevision", informers.informerFor(revisions), revisions),
  ];
}

/** What syncObject reads: the tracked kinds, their informers indexed by owner uid. */
export function garbageCollectorSync(ctx: LoopContext): GarbageCollectorSync {
  const tracked = trackedKinds(ctx);
  for (const t of tracked) {
    addIndexerOnce(t.informer, ownerUidIndex, (object) => (object.metadata.ownerReferences ?? []).map((r) => r.uid));
  }
  return { tracked, byKind: new Map(tracked.map((t) => [t.kind, t])) };
}

export const startGarbageCollector: StartLoop<GarbageCollectorContext> = async (ctx, signal) => {
  const { informers, log } = ctx;
  const sync = garbageCollectorSync(ctx);
  const queue = new WorkQueue<string>({ name: "garbagecollector", log });

  const removers: (() => void)[] = [];
  for (const t of sync.tracked) {
    const wakeOwners = (object: KubeObject) => {
      for (const ref of object.metadata.ownerReferences ?? []) {
        const kind = trackedKind(ref);
        if (kind) queue.add(`${kind}|${object.metadata.namespace ?? ""}/${ref.name}`);
      }
    };
    removers.push(
      t.informer.onChange((object) => {
        queue.add(keyFor(t.kind, object));
        wakeOwners(object); // an owner waiting in foreground deletion re-checks its dependents
      }),
      t.informer.onDelete((object) => {
        wakeOwners(object);
        // Its dependents may now be orphans with no owner left.
        for (const d of dependentsOf(sync, object.metadata.uid ?? "")) queue.add(keyFor(d.kind, d.object));
      }),
    );
  }
  removeWhenAborted(signal, removers);
  every(ctx.resyncPeriodMs ?? 0, signal, () =>
    queue.resync(sync.tracked.flatMap((t) => t.informer.list().map((object) => keyFor(t.kind, object)))),
  );

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  return { done: queue.work(signal, (key) => syncObject(sync, key), ctx.workers ?? 2) };
};
