// The StatefulSet controller's sync (upstream stateful_set_control.go updateStatefulSet): one set, one round —
// claims before pods, ordered creates and deletes (ordering.ts), one rolling-update step, status, history.
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from "../../api/apps/types.js";
import { deepEqual } from "../../api/validation/meta.js";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import {
  EventFailedCreate,
  EventFailedDelete,
  EventSuccessfulCreate,
  EventSuccessfulDelete,
} from "../../api/wellknown.js";
import type { EventRecorder, Lister } from "../../client/index.js";
import { isAlreadyExists, isNotFound } from "../../client/index.js";
import {
  claimName,
  claimOwnerReferences,
  isControlledBy,
  newClaim,
  newPod,
  ordinalOf,
  podName,
  startOrdinal,
} from "./identity.js";
import type { History } from "./history.js";
import { setRevisions, truncateHistory } from "./history.js";
import type { PodState } from "./ordering.js";
import { decide, readyForUpdate, rollingUpdateStep } from "./ordering.js";
import { applyRevision, podRevision } from "./revision.js";

export interface StatefulSetSync extends History {
  statefulSets: Lister<StatefulSet>;
  pods: Lister<Pod>;
  claims: Lister<PersistentVolumeClaim>;
  recorder: EventRecorder;
}

export function isRunningAndReady(pod: Pod): boolean {
  return (
    pod.status?.phase === "Running" &&
    (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

export function podState(pod: Pod): Exclude<PodState, "Missing"> {
  if (pod.metadata.deletionTimestamp) return "Terminating";
  if (pod.status?.phase === "Failed") return "Failed";
  return isRunningAndReady(pod) ? "RunningReady" : "Pending";
}

const claimOf = (ctx: StatefulSetSync, namespace: string, name: string) => ctx.claims.get(`${namespace}/${name}`);

/** Creates the pod's missing claims (upstream createPersistentVolumeClaims): claims first, then the pod. */
async function ensureClaims(ctx: StatefulSetSync, set: StatefulSet, ordinal: number): Promise<void> {
  const namespace = set.metadata.namespace ?? "";
  const templates = set.spec.volumeClaimTemplates ?? [];
  for (let i = 0; i < templates.length; i++) {
    const name = claimName(set, templates[i]?.metadata.name ?? "", ordinal);
    const existing = claimOf(ctx, namespace, name);
    if (existing) {
      // A claim still being deleted (e.g. scaled away with whenScaled=Delete) cannot be reused: wait it out.
      if (existing.metadata.deletionTimestamp)
        throw new Error(`claim ${name} is being deleted; pod ${podName(set, ordinal)} waits`);
      continue;
    }
    const claim = newClaim(set, i, ordinal);
    claim.metadata.ownerReferences = claimOwnerReferences(claim, set, undefined, false);
    const pod = podName(set, ordinal);
    await writeWithEvents(
      ctx,
      set,
      [EventSuccessfulCreate, `create Claim ${name} Pod ${pod} in StatefulSet ${set.metadata.name} success`],
      [EventFailedCreate, `create Claim ${name} for Pod ${pod} in StatefulSet ${set.metadata.name}`],
      () => ctx.client.persistentVolumeClaims.create(claim),
      isAlreadyExists, // the cache lags our own create
    );
  }
}

/** Brings each claim's owner references in line with the retention policy (before any pod is deleted). */
async function updateClaimOwners(
  ctx: StatefulSetSync,
  set: StatefulSet,
  pod: Pod,
  scaledAway: boolean,
  ordinal: number,
) {
  const namespace = set.metadata.namespace ?? "";
  for (const template of set.spec.volumeClaimTemplates ?? []) {
    const claim = claimOf(ctx, namespace, claimName(set, template.metadata.name ?? "", ordinal));
    if (!claim || claim.metadata.deletionTimestamp) continue;
    const refs = claimOwnerReferences(claim, set, pod, scaledAway);
    if (!refs) continue;
    const next = structuredClone(claim) as PersistentVolumeClaim;
    next.metadata.ownerReferences = refs;
    await ctx.client.persistentVolumeClaims.update(next);
  }
}

async function createPod(ctx: StatefulSetSync, set: StatefulSet, ordinal: number, pod: Pod): Promise<void> {
  await ensureClaims(ctx, set, ordinal);
  const what = `Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
  await writeWithEvents(
    ctx,
    set,
    [EventSuccessfulCreate, `create ${what} successful`],
    [EventFailedCreate, `create ${what}`],
    () => ctx.client.pods.create(pod),
    isAlreadyExists,
  );
}

async function deletePod(ctx: StatefulSetSync, set: StatefulSet, pod: Pod): Promise<void> {
  const what = `Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name}`;
  await writeWithEvents(
    ctx,
    set,
    [EventSuccessfulDelete, `delete ${what} successful`],
    [EventFailedDelete, `delete ${what}`],
    () =>
      ctx.client.pods.delete(pod.metadata.namespace ?? "", pod.metadata.name ?? "", {
        preconditions: { uid: pod.metadata.uid },
      }),
    isNotFound,
  );
}

/**
 * One of the set's writes with upstream's events on the set: Normal on success, Warning "<what> failed error: <err>"
 * (and the error rethrown, so the set is retried) on failure; an error `nothingToDo` accepts is neither.
 */
async function writeWithEvents(
  ctx: StatefulSetSync,
  set: StatefulSet,
  [reason, message]: [string, string],
  [failedReason, what]: [string, string],
  write: () => Promise<unknown>,
  nothingToDo: (err: unknown) => boolean,
): Promise<void> {
  try {
    await write();
    ctx.recorder.event(set, "Normal", reason, message);
  } catch (err) {
    if (nothingToDo(err)) return;
    ctx.recorder.event(
      set,
      "Warning",
      failedReason,
      `${what} failed error: ${String(err instanceof Error ? err.message : err)}`,
    );
    throw err;
  }
}

/** upstream updateStatefulSetStatus with computeReplicaStatus and completeRollingUpdate. */
async function updateStatus(
  ctx: StatefulSetSync,
  set: StatefulSet,
  owned: Pod[],
  current: ControllerRevision,
  update: ControllerRevision,
  collisionCount: number,
): Promise<void> {
  const counted = owned.filter((pod) => !pod.metadata.deletionTimestamp);
  const ready = owned.filter(isRunningAndReady).length;
  const status: StatefulSetStatus = {
    ...set.status,
    observedGeneration: set.metadata.generation,
    replicas: owned.length,
    readyReplicas: ready,
    currentReplicas: counted.filter((pod) => podRevision(pod) === current.metadata.name).length,
    updatedReplicas: counted.filter((pod) => podRevision(pod) === update.metadata.name).length,
    availableReplicas: ready,
    currentRevision: current.metadata.name,
    updateRevision: update.metadata.name,
    collisionCount,
  };
  // A rolling update is complete when every wanted pod is updated and ready: the update revision becomes
  // current. As upstream, OnDelete never completes one (currentRevision stays where it was).
  const wanted = set.spec.replicas ?? 1;
  if (
    set.spec.updateStrategy?.type !== "OnDelete" &&
    status.updatedReplicas === wanted &&
    status.readyReplicas === wanted &&
    status.replicas === wanted
  ) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
  if (set.status && deepEqual(status, set.status)) return;
  const next = structuredClone(set) as StatefulSet;
  next.status = status;
  try {
    await ctx.client.statefulSets.updateStatus(next);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/**
 * upstream newVersionedStatefulSetPod: below the partition a pod is made at the current revision (so a
 * partitioned rollout does not creep down through recreated pods); otherwise at the update revision.
 */
function versionedPod(set: StatefulSet, ordinal: number, current: ControllerRevision, update: ControllerRevision): Pod {
  const strategy = set.spec.updateStrategy;
  const start = startOrdinal(set);
  const belowPartition =
    strategy?.type !== "OnDelete" &&
    (strategy?.rollingUpdate
      ? ordinal < start + (strategy.rollingUpdate.partition ?? 0)
      : ordinal < start + (set.status?.currentReplicas ?? 0));
  if (belowPartition) return newPod(applyRevision(set, current), ordinal, current.metadata.name);
  return newPod(applyRevision(set, update), ordinal, update.metadata.name);
}

/** Moves one StatefulSet one round toward its spec: claims and pods created or deleted, one update step, status. */
export async function syncStatefulSet(ctx: StatefulSetSync, key: string): Promise<void> {
  const set = ctx.statefulSets.get(key);
  if (!set || set.metadata.deletionTimestamp) return; // the garbage collector removes its pods
  const namespace = set.metadata.namespace ?? "";
  const owned = ctx.pods
    .list({ namespace })
    .filter((pod) => isControlledBy(pod, set) && ordinalOf(set, pod) !== undefined);
  const byOrdinal = new Map<number, Pod>();
  for (const pod of owned) byOrdinal.set(ordinalOf(set, pod) ?? -1, pod);
  const start = startOrdinal(set);
  const replicas = set.spec.replicas ?? 1;
  const inRange = (ordinal: number) => ordinal >= start && ordinal < start + replicas;

  // Owner references first: a condemned pod's claims must point at it before it is deleted (whenScaled).
  for (const [ordinal, pod] of byOrdinal) {
    if (!pod.metadata.deletionTimestamp) await updateClaimOwners(ctx, set, pod, !inRange(ordinal), ordinal);
  }

  const { sorted, current, update, collisionCount } = await setRevisions(ctx, set);

  const states = new Map([...byOrdinal].map(([ordinal, pod]) => [ordinal, podState(pod)]));
  const policy = set.spec.podManagementPolicy ?? "OrderedReady";
  const decision = decide(policy, start, replicas, states);
  for (const ordinal of decision.delete) {
    const pod = byOrdinal.get(ordinal);
    if (pod) await deletePod(ctx, set, pod);
  }
  for (const ordinal of decision.create)
    await createPod(ctx, set, ordinal, versionedPod(set, ordinal, current, update));
  // OnDelete stops here: a pod takes the update revision only when someone deletes it.
  const strategy = set.spec.updateStrategy;
  const settled = decision.create.length === 0 && decision.delete.length === 0;
  if (settled && strategy?.type !== "OnDelete" && readyForUpdate(policy, start, replicas, states)) {
    const updating = new Map(
      [...byOrdinal].map(([ordinal, pod]) => [
        ordinal,
        { state: podState(pod), updated: podRevision(pod) === update.metadata.name },
      ]),
    );
    const step = rollingUpdateStep(start, replicas, strategy?.rollingUpdate?.partition ?? 0, updating);
    const pod = step.delete === undefined ? undefined : byOrdinal.get(step.delete);
    if (pod) await deletePod(ctx, set, pod);
  }
  await updateStatus(ctx, set, owned, current, update, collisionCount);
  // Revisions a pod still runs are live and kept, whatever the limit.
  const live = new Set([current.metadata.name ?? "", update.metadata.name ?? "", ...owned.map(podRevision)]);
  await truncateHistory(ctx, set, sorted, live);
}
