// The Deployment controller's sync (upstream pkg/controller/deployment: deployment_controller.go syncDeployment,
// sync.go, rolling.go, recreate.go, progress.go): claim the ReplicaSets, bring the one running the current template
// into being, move replicas from old sets to it by the strategy, prune history, write status.
import type { Deployment, DeploymentStatus, ReplicaSet } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import { labelMatcherFromSelector } from "../../api/selectors/labels.js";
import { deepEqual } from "../../api/validation/meta.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { isAlreadyExists, isNotFound } from "../../client/index.js";
import { claimObjects, isControlledBy } from "../common/controllerref.js";
import { equalIgnoreHash } from "./hash.js";
import {
  DesiredReplicasAnnotation,
  RevisionAnnotation,
  findNewReplicaSet,
  newReplicaSet,
  replicaSetsToPrune,
  replicasAnnotations,
  revisionOf,
  updatedNewReplicaSet,
} from "./replicasets.js";
import {
  activeOrLatest,
  newReplicaSetReplicas,
  proportionalScale,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  replicasOf,
} from "./rolling.js";
import {
  DeploymentProgressing,
  FoundNewRSReason,
  NewReplicaSetReason,
  PausedDeployReason,
  ResumedDeployReason,
  TimedOutReason,
  calculateStatus,
  conditionOf,
  deploymentComplete,
  newCondition,
  progressDeadlineIn,
  rolloutStatus,
  setCondition,
} from "./status.js";

export interface DeploymentSync {
  client: Client;
  deployments: Lister<Deployment>;
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  recorder: EventRecorder;
  /** Comes back to a Deployment when its progress deadline would pass. */
  requeueAfter(key: string, delayMs: number): void;
  now?: () => Date;
}

const now = (ctx: DeploymentSync) => ctx.now?.() ?? new Date();

/** Sizes one set (upstream scaleReplicaSet), stamping the Deployment's size on it; an event when its size moves. */
async function scaleReplicaSet(ctx: DeploymentSync, d: Deployment, set: ReplicaSet, replicas: number) {
  const annotations = { ...set.metadata.annotations, ...replicasAnnotations(d) };
  if (replicasOf(set) === replicas && deepEqual(annotations, set.metadata.annotations ?? {})) return set;
  const updated = await ctx.client.replicaSets.update({
    ...set,
    metadata: { ...set.metadata, annotations },
    spec: { ...set.spec, replicas },
  });
  const from = replicasOf(set);
  if (from !== replicas) {
    const direction = replicas > from ? "up" : "down";
    const message = `Scaled ${direction} replica set ${set.metadata.name ?? ""} from ${from} to ${replicas}`;
    ctx.recorder.event(d, "Normal", "ScalingReplicaSet", message);
  }
  return updated;
}

async function scaleAll(ctx: DeploymentSync, d: Deployment, sets: ReplicaSet[], sizes: Map<string, number>) {
  for (const set of sets) {
    const size = sizes.get(set.metadata.name ?? "");
    if (size !== undefined) await scaleReplicaSet(ctx, d, set, size);
  }
}

/** The revision annotation on the Deployment follows its new set's (upstream SetDeploymentRevision). */
async function syncDeploymentRevision(ctx: DeploymentSync, d: Deployment, revision: number): Promise<Deployment> {
  if (d.metadata.annotations?.[RevisionAnnotation] === String(revision)) return d;
  const annotations = { ...d.metadata.annotations, [RevisionAnnotation]: String(revision) };
  return ctx.client.deployments.update({ ...d, metadata: { ...d.metadata, annotations } });
}

interface Sets {
  d: Deployment;
  newSet?: ReplicaSet;
  old: ReplicaSet[];
}

/** upstream getAllReplicaSetsAndSyncRevision: the new set (made when `create`), the old ones, revisions in step. */
async function replicaSetsOf(ctx: DeploymentSync, d: Deployment, sets: ReplicaSet[], create: boolean): Promise<Sets> {
  let newSet = findNewReplicaSet(d, sets);
  const old = sets.filter((set) => set !== newSet);
  const revision = Math.max(0, ...old.map(revisionOf)) + 1;
  if (newSet) {
    const updated = updatedNewReplicaSet(d, newSet, revision);
    if (updated) newSet = await ctx.client.replicaSets.update(updated);
    const deployment = { ...(await syncDeploymentRevision(ctx, d, revisionOf(newSet))) };
    if (!conditionOf(deployment.status, DeploymentProgressing)) {
      const message = `Found new replica set "${newSet.metadata.name ?? ""}"`;
      deployment.status = { ...deployment.status };
      setCondition(deployment.status, newCondition(DeploymentProgressing, "True", FoundNewRSReason, message, now(ctx)));
    }
    return { d: deployment, newSet, old };
  }
  if (!create) return { d, old };
  const replicas = newReplicaSetReplicas(d, old, newReplicaSet(d, 0, revision));
  const wanted = newReplicaSet(d, replicas, revision);
  try {
    newSet = await ctx.client.replicaSets.create(wanted);
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await ctx.client.replicaSets.get(wanted.metadata.namespace ?? "", wanted.metadata.name ?? "");
    if (isControlledBy(existing, d) && equalIgnoreHash(existing.spec.template, d.spec.template)) {
      return { d, newSet: existing, old };
    }
    // upstream's hash collision: count it, so the next hash differs, and try again.
    const status = { ...d.status, collisionCount: (d.status?.collisionCount ?? 0) + 1 };
    await ctx.client.deployments.updateStatus({ ...d, status });
    throw err;
  }
  if (replicas > 0) {
    const message = `Scaled up replica set ${newSet.metadata.name ?? ""} from 0 to ${replicas}`;
    ctx.recorder.event(d, "Normal", "ScalingReplicaSet", message);
  }
  const deployment = { ...(await syncDeploymentRevision(ctx, d, revision)) };
  const message = `Created new replica set "${newSet.metadata.name ?? ""}"`;
  deployment.status = { ...deployment.status };
  setCondition(deployment.status, newCondition(DeploymentProgressing, "True", NewReplicaSetReason, message, now(ctx)));
  return { d: deployment, newSet, old };
}

async function writeStatus(ctx: DeploymentSync, d: Deployment, status: DeploymentStatus): Promise<void> {
  const key = `${d.metadata.namespace ?? ""}/${d.metadata.name ?? ""}`;
  const remaining = progressDeadlineIn(d, status, now(ctx));
  // A rollout that stops moving must be looked at again when its deadline passes (upstream requeueStuckDeployment).
  if (remaining !== undefined && !deploymentComplete(d, status)) ctx.requeueAfter(key, Math.max(remaining, 0) + 1000);
  const live = ctx.deployments.get(key);
  if (live && deepEqual(live.status, status)) return;
  try {
    await ctx.client.deployments.updateStatus({ ...d, status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Old sets' pods still there (upstream oldPodsRunning): Recreate starts new pods only once none is. */
function oldPodsRunning(ctx: DeploymentSync, sets: Sets): boolean {
  if (sets.old.some((set) => (set.status?.replicas ?? 0) > 0)) return true;
  return ctx.pods
    .list({ namespace: sets.d.metadata.namespace ?? "" })
    .filter((pod) => sets.old.some((set) => isControlledBy(pod, set)))
    .some((pod) => pod.status?.phase !== "Failed" && pod.status?.phase !== "Succeeded");
}

async function prune(ctx: DeploymentSync, d: Deployment, old: ReplicaSet[]): Promise<void> {
  for (const set of replicaSetsToPrune(d, old)) {
    try {
      await ctx.client.replicaSets.delete(set.metadata.namespace ?? "", set.metadata.name ?? "", {
        preconditions: { uid: set.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}

const allOf = (sets: Sets) => (sets.newSet ? [...sets.old, sets.newSet] : sets.old);

/** upstream rolloutRolling: one step up for the new set, else one step down for the old ones, then status. */
async function rolloutRolling(ctx: DeploymentSync, d: Deployment, claimed: ReplicaSet[]): Promise<void> {
  const sets = await replicaSetsOf(ctx, d, claimed, true);
  const { newSet, old } = sets;
  const all = allOf(sets);
  const up = newSet ? reconcileNewReplicaSet(sets.d, all, newSet) : undefined;
  if (newSet && up !== undefined) {
    const scaled = await scaleReplicaSet(ctx, sets.d, newSet, up);
    return writeStatus(ctx, sets.d, rolloutStatus(sets.d, [...old, scaled], scaled, now(ctx)));
  }
  const down = reconcileOldReplicaSets(sets.d, all, old, newSet);
  if (down.size > 0) {
    await scaleAll(ctx, sets.d, old, down);
    return writeStatus(ctx, sets.d, rolloutStatus(sets.d, all, newSet, now(ctx)));
  }
  const status = rolloutStatus(sets.d, all, newSet, now(ctx));
  if (deploymentComplete(sets.d, status)) await prune(ctx, sets.d, old);
  await writeStatus(ctx, sets.d, status);
}

/** upstream rolloutRecreate: every old pod gone first, then the new set at full size. */
async function rolloutRecreate(ctx: DeploymentSync, d: Deployment, claimed: ReplicaSet[]): Promise<void> {
  let sets = await replicaSetsOf(ctx, d, claimed, false);
  const active = sets.old.filter((set) => replicasOf(set) > 0);
  if (active.length > 0) {
    await scaleAll(ctx, sets.d, active, new Map(active.map((set) => [set.metadata.name ?? "", 0])));
    return writeStatus(ctx, sets.d, rolloutStatus(sets.d, allOf(sets), sets.newSet, now(ctx)));
  }
  if (oldPodsRunning(ctx, sets)) {
    return writeStatus(ctx, sets.d, rolloutStatus(sets.d, allOf(sets), sets.newSet, now(ctx)));
  }
  if (!sets.newSet) sets = await replicaSetsOf(ctx, sets.d, claimed, true);
  const newSet = sets.newSet && (await scaleReplicaSet(ctx, sets.d, sets.newSet, sets.d.spec.replicas ?? 1));
  const status = rolloutStatus(sets.d, allOf({ ...sets, newSet }), newSet, now(ctx));
  if (deploymentComplete(sets.d, status)) await prune(ctx, sets.d, sets.old);
  await writeStatus(ctx, sets.d, status);
}

/** upstream isScalingEvent: an active set was sized for another replica count than the Deployment's. */
function isScalingEvent(d: Deployment, sets: ReplicaSet[]): boolean {
  return sets.some((set) => {
    const desired = set.metadata.annotations?.[DesiredReplicasAnnotation];
    return replicasOf(set) > 0 && desired !== undefined && Number(desired) !== (d.spec.replicas ?? 1);
  });
}

/** upstream sync: a paused Deployment, or one only resized, scales its sets without rolling out. */
async function scaleOnly(ctx: DeploymentSync, d: Deployment, claimed: ReplicaSet[]): Promise<void> {
  const sets = await replicaSetsOf(ctx, d, claimed, false);
  const desired = sets.d.spec.replicas ?? 1;
  const target = activeOrLatest(sets.newSet, sets.old);
  const { newSet } = sets;
  if (target) {
    await scaleReplicaSet(ctx, sets.d, target, desired);
  } else if (newSet && replicasOf(newSet) === desired && (newSet.status?.availableReplicas ?? 0) === desired) {
    // Saturated: the new set is all there is to keep, so the old ones go.
    const old = sets.old.filter((set) => replicasOf(set) > 0);
    await scaleAll(ctx, sets.d, old, new Map(old.map((set) => [set.metadata.name ?? "", 0])));
  } else {
    await scaleAll(
      ctx,
      sets.d,
      allOf(sets),
      proportionalScale(
        sets.d,
        allOf(sets).filter((s) => replicasOf(s) > 0),
      ),
    );
  }
  if (sets.d.spec.paused) await prune(ctx, sets.d, sets.old);
  await writeStatus(ctx, sets.d, calculateStatus(sets.d, allOf(sets), sets.newSet, now(ctx)));
}

/** upstream checkPausedConditions: Progressing says paused or resumed (a timed-out rollout keeps its word). */
async function syncPausedCondition(ctx: DeploymentSync, d: Deployment): Promise<boolean> {
  if (d.spec.progressDeadlineSeconds === undefined) return false;
  const current = conditionOf(d.status, DeploymentProgressing);
  if (current?.reason === TimedOutReason) return false;
  const paused = current?.reason === PausedDeployReason;
  let condition;
  if (d.spec.paused && !paused) condition = [PausedDeployReason, "Deployment is paused"];
  else if (!d.spec.paused && paused) condition = [ResumedDeployReason, "Deployment is resumed"];
  if (!condition) return false;
  const status = structuredClone(d.status ?? {});
  setCondition(status, newCondition(DeploymentProgressing, "Unknown", condition[0], condition[1], now(ctx)));
  await ctx.client.deployments.updateStatus({ ...d, status });
  return true;
}

/** Moves one Deployment one round toward its spec; safe to run any number of times. */
export async function syncDeployment(ctx: DeploymentSync, key: string): Promise<void> {
  const d = ctx.deployments.get(key);
  if (!d) return;
  const namespace = d.metadata.namespace ?? "";
  const selector = labelMatcherFromSelector(d.spec.selector);
  const claimed = await claimObjects(d, selector, ctx.replicaSets.list({ namespace }), (set, patch) =>
    ctx.client.replicaSets.patch(namespace, set.metadata.name ?? "", "merge", patch),
  );
  if (d.metadata.deletionTimestamp) {
    const sets = await replicaSetsOf(ctx, d, claimed, false);
    return writeStatus(ctx, sets.d, calculateStatus(sets.d, allOf(sets), sets.newSet, now(ctx)));
  }
  if (await syncPausedCondition(ctx, d)) return;
  if (d.spec.paused || isScalingEvent(d, claimed)) return scaleOnly(ctx, d, claimed);
  if (d.spec.strategy?.type === "Recreate") return rolloutRecreate(ctx, d, claimed);
  return rolloutRolling(ctx, d, claimed);
}
