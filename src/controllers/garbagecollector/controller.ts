// A minimal garbage collector (upstream pkg/controller/garbagecollector) for pods, claims, StatefulSets and their
// ControllerRevisions:
// - a dependent whose every owner (by uid) is gone is deleted with background propagation;
// - an owner deleted with propagationPolicy=Foreground carries the `foregroundDeletion` finalizer: its dependents
//   are deleted first, then the finalizer goes (and the apiserver removes the owner);
// - an owner deleted with propagationPolicy=Orphan carries the `orphan` finalizer: its dependents lose their
//   owner reference to it, then the finalizer goes.
// Owners of other kinds are assumed to exist (we do not watch them), so their dependents are never collected.
import type { ControllerRevision, StatefulSet } from "../../api/apps/types.js";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { KubeObject, OwnerReference } from "../../api/meta.js";
import type { Client, Informer, ResourceClient } from "../../client/index.js";
import { isConflict, isNotFound, WorkQueue } from "../../client/index.js";
import type { Log } from "../../support/log.js";
import { controllerRevisionResource } from "../statefulset/revision.js";
import { every, runWorkers } from "../common/run.js";

export const FinalizerDeleteDependents = "foregroundDeletion";
export const FinalizerOrphanDependents = "orphan";

export interface GarbageCollectorOptions {
  client: Client;
  pods: Informer<Pod>;
  claims: Informer<PersistentVolumeClaim>;
  statefulSets: Informer<StatefulSet>;
  /** With it, a set's ControllerRevisions are collected with the set (they are dependents, never owners here). */
  revisions?: Informer<ControllerRevision>;
  workers?: number;
  resyncPeriodMs?: number;
  log: Log;
}

type Kind = "Pod" | "PersistentVolumeClaim" | "StatefulSet" | "ControllerRevision";
const ownerUidIndex = "gc-owner-uid";

interface Tracked {
  kind: Kind;
  informer: Informer<KubeObject>;
  resource: ResourceClient<KubeObject>;
}

/** The kind of an owner reference we track, from its apiVersion and kind. */
function trackedKind(ref: OwnerReference): Kind | undefined {
  if (ref.apiVersion === "v1" && (ref.kind === "Pod" || ref.kind === "PersistentVolumeClaim")) return ref.kind;
  if (ref.apiVersion === "apps/v1" && ref.kind === "StatefulSet") return ref.kind;
  return undefined;
}

export function startGarbageCollector(options: GarbageCollectorOptions, signal: AbortSignal): Promise<void> {
  const { client, log } = options;
  const tracked: Tracked[] = [
    {
      kind: "Pod",
      informer: options.pods as unknown as Informer<KubeObject>,
      resource: client.pods as unknown as ResourceClient<KubeObject>,
    },
    {
      kind: "PersistentVolumeClaim",
      informer: options.claims as unknown as Informer<KubeObject>,
      resource: client.persistentVolumeClaims as unknown as ResourceClient<KubeObject>,
    },
    {
      kind: "StatefulSet",
      informer: options.statefulSets as unknown as Informer<KubeObject>,
      resource: client.statefulSets as unknown as ResourceClient<KubeObject>,
    },
  ];
  if (options.revisions) {
    tracked.push({
      kind: "ControllerRevision",
      informer: options.revisions as unknown as Informer<KubeObject>,
      resource: client.resource(controllerRevisionResource) as unknown as ResourceClient<KubeObject>,
    });
  }
  const byKind = new Map(tracked.map((t) => [t.kind, t]));
  // Keys are `<Kind>|<namespace>/<name>`.
  const queue = new WorkQueue<string>({ name: "garbagecollector", log });
  const keyFor = (kind: Kind, object: KubeObject) =>
    `${kind}|${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;

  const dependentsOf = (uid: string): { kind: Kind; object: KubeObject }[] =>
    tracked.flatMap((t) => t.informer.byIndex(ownerUidIndex, uid).map((object) => ({ kind: t.kind, object })));

  const offs: (() => void)[] = [];
  for (const t of tracked) {
    t.informer.addIndexer(ownerUidIndex, (object) => (object.metadata.ownerReferences ?? []).map((r) => r.uid));
    const wakeOwners = (object: KubeObject) => {
      for (const ref of object.metadata.ownerReferences ?? []) {
        const kind = trackedKind(ref);
        if (kind) queue.add(`${kind}|${object.metadata.namespace ?? ""}/${ref.name}`);
      }
    };
    offs.push(
      t.informer.onChange((object) => {
        queue.add(keyFor(t.kind, object));
        wakeOwners(object); // an owner waiting in foreground deletion re-checks its dependents
      }),
      t.informer.onDelete((object) => {
        wakeOwners(object);
        // Its dependents may now be orphans with no owner left.
        for (const d of dependentsOf(object.metadata.uid ?? "")) queue.add(keyFor(d.kind, d.object));
      }),
    );
  }
  signal.addEventListener("abort", () => offs.forEach((off) => off()), { once: true });
  every(options.resyncPeriodMs ?? 0, signal, () => {
    for (const t of tracked) for (const object of t.informer.list()) queue.add(keyFor(t.kind, object));
  });

  /** An owner exists when an object of that kind, name and uid does; the cache's "no" is checked live. */
  async function ownerExists(namespace: string, ref: OwnerReference): Promise<boolean> {
    const kind = trackedKind(ref);
    if (!kind) return true;
    const t = byKind.get(kind);
    if (!t) return true;
    const cached = t.informer.get(`${namespace}/${ref.name}`);
    if (cached?.metadata.uid === ref.uid) return true;
    try {
      const live = await t.resource.getByKey({ namespace, name: ref.name });
      return live?.metadata.uid === ref.uid;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async function removeFinalizer(t: Tracked, object: KubeObject, finalizer: string): Promise<void> {
    const next = structuredClone(object);
    next.metadata.finalizers = (object.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    try {
      await t.resource.update(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function deleteObject(t: Tracked, object: KubeObject, policy: "Background" | "Foreground") {
    try {
      await t.resource.deleteByKey(
        { namespace: object.metadata.namespace, name: object.metadata.name ?? "" },
        { propagationPolicy: policy, preconditions: { uid: object.metadata.uid } },
      );
    } catch (err) {
      // Gone already, or a new object under the same name (uid precondition): not ours to delete.
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
  }

  async function sync(key: string): Promise<void> {
    const [kind, objectKey] = key.split("|") as [Kind, string];
    const t = byKind.get(kind);
    const object = t?.informer.get(objectKey);
    if (!t || !object) return;
    const uid = object.metadata.uid ?? "";
    const finalizers = object.metadata.finalizers ?? [];

    if (object.metadata.deletionTimestamp) {
      if (finalizers.includes(FinalizerOrphanDependents)) {
        for (const d of dependentsOf(uid)) {
          const next = structuredClone(d.object);
          next.metadata.ownerReferences = (d.object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
          await byKind.get(d.kind)?.resource.update(next);
        }
        await removeFinalizer(t, object, FinalizerOrphanDependents);
        return;
      }
      if (finalizers.includes(FinalizerDeleteDependents)) {
        const dependents = dependentsOf(uid);
        for (const d of dependents) {
          const dt = byKind.get(d.kind);
          if (dt && !d.object.metadata.deletionTimestamp) await deleteObject(dt, d.object, "Foreground");
        }
        // Dependents' delete events bring us back; the finalizer goes once none is left.
        if (dependents.length === 0) await removeFinalizer(t, object, FinalizerDeleteDependents);
        return;
      }
    }

    const refs = object.metadata.ownerReferences ?? [];
    if (refs.length === 0 || object.metadata.deletionTimestamp) return;
    for (const ref of refs) if (await ownerExists(object.metadata.namespace ?? "", ref)) return;
    await deleteObject(t, object, "Background");
  }

  return runWorkers(queue, signal, options.workers ?? 2, sync, log);
}
