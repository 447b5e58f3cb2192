// The garbage collector's sync (upstream garbagecollector.go attemptToDeleteItem / processDeletingDependentsItem /
// attemptToOrphan) for one object of a tracked kind.
import type { KubeObject, OwnerReference } from "../../api/meta.js";
import type { Informer, ResourceClient } from "../../client/index.js";
import { isConflict, isNotFound } from "../../client/index.js";

export const FinalizerDeleteDependents = "foregroundDeletion";
export const FinalizerOrphanDependents = "orphan";

export type Kind =
  | "Pod"
  | "PersistentVolumeClaim"
  | "StatefulSet"
  | "ControllerRevision"
  | "Deployment"
  | "ReplicaSet"
  | "DaemonSet"
  | "Job"
  | "CronJob";
/** Objects by the uids of their owners, on every tracked informer. */
export const ownerUidIndex = "gc-owner-uid";

export interface Tracked {
  kind: Kind;
  informer: Informer<KubeObject>;
  resource: ResourceClient<KubeObject>;
}

export interface GarbageCollectorSync {
  tracked: Tracked[];
  byKind: Map<Kind, Tracked>;
}

/** The kind of an owner reference we track, from its apiVersion and kind. */
export function trackedKind(ref: OwnerReference): Kind | undefined {
  if (ref.apiVersion === "v1" && (ref.kind === "Pod" || ref.kind === "PersistentVolumeClaim")) return ref.kind;
  if (ref.apiVersion === "apps/v1" && ["StatefulSet", "Deployment", "ReplicaSet", "DaemonSet"].includes(ref.kind)) {
    return ref.kind as Kind;
  }
  if (ref.apiVersion === "batch/v1" && (ref.kind === "Job" || ref.kind === "CronJob")) return ref.kind;
  return undefined;
}

export const keyFor = (kind: Kind, object: KubeObject): string =>
  `${kind}|${object.metadata.namespace ?? ""}/${object.metadata.name ?? ""}`;

export const dependentsOf = (ctx: GarbageCollectorSync, uid: string): { kind: Kind; object: KubeObject }[] =>
  ctx.tracked.flatMap((t) => t.informer.byIndex(ownerUidIndex, uid).map((object) => ({ kind: t.kind, object })));

/** An owner exists when an object of that kind, name and uid does; the cache's "no" is checked live. */
async function ownerExists(ctx: GarbageCollectorSync, namespace: string, ref: OwnerReference): Promise<boolean> {
  const kind = trackedKind(ref);
  if (!kind) return true;
  const t = ctx.byKind.get(kind);
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

/**
 * One object, one step: a deleting owner's orphan or foreground finalizer worked off, or a dependent whose every
 * owner is gone deleted. Keys are `<Kind>|<namespace>/<name>`.
 */
export async function syncObject(ctx: GarbageCollectorSync, key: string): Promise<void> {
  const [kind, objectKey] = key.split("|") as [Kind, string];
  const t = ctx.byKind.get(kind);
  const object = t?.informer.get(objectKey);
  if (!t || !object) return;
  const uid = object.metadata.uid ?? "";
  const finalizers = object.metadata.finalizers ?? [];

  if (object.metadata.deletionTimestamp) {
    if (finalizers.includes(FinalizerOrphanDependents)) {
      for (const d of dependentsOf(ctx, uid)) {
        const next = structuredClone(d.object);
        next.metadata.ownerReferences = (d.object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        await ctx.byKind.get(d.kind)?.resource.update(next);
      }
      await removeFinalizer(t, object, FinalizerOrphanDependents);
      return;
    }
    if (finalizers.includes(FinalizerDeleteDependents)) {
      const dependents = dependentsOf(ctx, uid);
      for (const d of dependents) {
        const dt = ctx.byKind.get(d.kind);
        if (dt && !d.object.metadata.deletionTimestamp) await deleteObject(dt, d.object, "Foreground");
      }
      // Dependents' delete events bring us back; the finalizer goes once none is left.
      if (dependents.length === 0) await removeFinalizer(t, object, FinalizerDeleteDependents);
      return;
    }
  }

  const refs = object.metadata.ownerReferences ?? [];
  if (refs.length === 0 || object.metadata.deletionTimestamp) return;
  for (const ref of refs) if (await ownerExists(ctx, object.metadata.namespace ?? "", ref)) return;
  await deleteObject(t, object, "Background");
}
