// A Deployment's rollout arithmetic (upstream pkg/controller/deployment/rolling.go and util/deployment_util.go):
// how far the new ReplicaSet may grow (maxSurge), how far old ones may shrink (maxUnavailable), and which old
// sets shrink first. Pure functions of the sets' spec.replicas and status.availableReplicas: each returns the new
// replica counts by ReplicaSet name, and the sync writes them.
import { scaledValue } from "../../api/apps/podtemplate.js";
import type { Deployment, ReplicaSet } from "../../api/apps/types.js";

export const replicasOf = (set: ReplicaSet | undefined): number => set?.spec.replicas ?? 0;
const availableOf = (set: ReplicaSet | undefined): number => set?.status?.availableReplicas ?? 0;
const sum = (sets: ReplicaSet[], f: (set: ReplicaSet) => number) => sets.reduce((n, set) => n + f(set), 0);
const nameOf = (set: ReplicaSet) => set.metadata.name ?? "";

/** Oldest first, by creation then name (upstream ReplicaSetsByCreationTimestamp). */
export function oldestFirst(sets: ReplicaSet[]): ReplicaSet[] {
  return [...sets].sort((a, b) => {
    const at = a.metadata.creationTimestamp ?? "";
    const bt = b.metadata.creationTimestamp ?? "";
    if (at !== bt) return at < bt ? -1 : 1;
    return nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0;
  });
}

/** upstream ResolveFenceposts: surge rounds up, unavailable down (unset is 0; the API defaults both to 25%); both 0 would never move, so unavailable is 1. */
export function resolveFenceposts(deployment: Deployment): { maxSurge: number; maxUnavailable: number } {
  const desired = deployment.spec.replicas ?? 1;
  const rollingUpdate = deployment.spec.strategy?.rollingUpdate;
  const maxSurge = scaledValue(rollingUpdate?.maxSurge ?? 0, desired, true);
  const maxUnavailable = scaledValue(rollingUpdate?.maxUnavailable ?? 0, desired, false);
  return maxSurge === 0 && maxUnavailable === 0 ? { maxSurge, maxUnavailable: 1 } : { maxSurge, maxUnavailable };
}

const isRollingUpdate = (deployment: Deployment) => deployment.spec.strategy?.type !== "Recreate";

/** upstream MaxUnavailable: 0 for Recreate or no replicas, never more than the replicas. */
export function maxUnavailable(deployment: Deployment): number {
  const desired = deployment.spec.replicas ?? 1;
  if (!isRollingUpdate(deployment) || desired === 0) return 0;
  return Math.min(resolveFenceposts(deployment).maxUnavailable, desired);
}

/** upstream MaxSurge: 0 for Recreate. */
export const maxSurge = (deployment: Deployment): number =>
  isRollingUpdate(deployment) ? resolveFenceposts(deployment).maxSurge : 0;

/** upstream NewRSNewReplicas: the new set's size after one step up (Recreate: all at once). */
export function newReplicaSetReplicas(deployment: Deployment, all: ReplicaSet[], newSet: ReplicaSet): number {
  const desired = deployment.spec.replicas ?? 1;
  if (!isRollingUpdate(deployment)) return desired;
  const current = sum(all, replicasOf);
  const maxTotal = desired + maxSurge(deployment);
  if (current >= maxTotal) return replicasOf(newSet);
  const scaleUp = Math.min(maxTotal - current, desired - replicasOf(newSet));
  return replicasOf(newSet) + scaleUp;
}

/** upstream reconcileNewReplicaSet: the new set's next size, or undefined when it stays. */
export function reconcileNewReplicaSet(
  deployment: Deployment,
  all: ReplicaSet[],
  newSet: ReplicaSet,
): number | undefined {
  const desired = deployment.spec.replicas ?? 1;
  const current = replicasOf(newSet);
  if (current === desired) return undefined;
  if (current > desired) return desired;
  const next = newReplicaSetReplicas(deployment, all, newSet);
  return next === current ? undefined : next;
}

/** upstream cleanupUnhealthyReplicas: old sets' unavailable pods go first, oldest set first, up to `max`. */
export function cleanupUnhealthyReplicas(old: ReplicaSet[], max: number): Map<string, number> {
  const scaled = new Map<string, number>();
  let total = 0;
  for (const set of oldestFirst(old)) {
    if (total >= max) break;
    const replicas = replicasOf(set);
    if (replicas === 0 || replicas === availableOf(set)) continue;
    const count = Math.min(max - total, replicas - availableOf(set));
    scaled.set(nameOf(set), replicas - count);
    total += count;
  }
  return scaled;
}

/** upstream scaleDownOldReplicaSetsForRollingUpdate: shrink old sets, oldest first, while enough stay available. */
export function scaleDownOldForRollingUpdate(
  deployment: Deployment,
  all: ReplicaSet[],
  old: ReplicaSet[],
): Map<string, number> {
  const scaled = new Map<string, number>();
  const minAvailable = (deployment.spec.replicas ?? 1) - maxUnavailable(deployment);
  const available = sum(all, availableOf);
  if (available <= minAvailable) return scaled;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const set of oldestFirst(old)) {
    if (total >= toScaleDown) break;
    const replicas = replicasOf(set);
    if (replicas === 0) continue;
    const count = Math.min(replicas, toScaleDown - total);
    scaled.set(nameOf(set), replicas - count);
    total += count;
  }
  return scaled;
}

/**
 * upstream reconcileOldReplicaSets: how far the active old sets shrink this round. Unhealthy pods go first (they
 * count for nothing), then healthy ones while minAvailable (replicas - maxUnavailable) pods stay available.
 */
export function reconcileOldReplicaSets(
  deployment: Deployment,
  all: ReplicaSet[],
  old: ReplicaSet[],
  newSet: ReplicaSet | undefined,
): Map<string, number> {
  const active = old.filter((set) => replicasOf(set) > 0);
  if (sum(active, replicasOf) === 0) return new Map();
  const minAvailable = (deployment.spec.replicas ?? 1) - maxUnavailable(deployment);
  const newUnavailable = replicasOf(newSet) - availableOf(newSet);
  const maxScaledDown = sum(all, replicasOf) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return new Map();
  const cleaned = cleanupUnhealthyReplicas(active, maxScaledDown);
  // The cleanup's counts are what the second step sees (upstream re-reads the sets it just scaled).
  const after = (set: ReplicaSet): ReplicaSet =>
    cleaned.has(nameOf(set)) ? { ...set, spec: { ...set.spec, replicas: cleaned.get(nameOf(set)) } } : set;
  const oldAfter = active.map(after);
  const allAfter = newSet ? [...oldAfter, newSet] : oldAfter;
  const scaled = scaleDownOldForRollingUpdate(deployment, allAfter, oldAfter);
  return new Map([...cleaned, ...scaled]);
}

/**
 * upstream FindActiveOrLatest: the one set with replicas when only one has any; with none, the new set or the newest
 * old one; undefined when several are active (a rollout is under way).
 */
export function activeOrLatest(newSet: ReplicaSet | undefined, old: ReplicaSet[]): ReplicaSet | undefined {
  const all = newSet ? [newSet, ...old] : old;
  const active = all.filter((set) => replicasOf(set) > 0);
  if (active.length === 1) return active[0];
  if (active.length > 1) return undefined;
  return newSet ?? oldestFirst(old).at(-1);
}

/**
 * upstream's proportional scaling (sync.go scale) for a Deployment resized mid-rollout: the difference between the
 * allowed total (replicas + maxSurge) and the sets' sum is spread over the active sets in proportion to their
 * sizes; what rounding leaves goes to the largest (newest on a tie).
 */
export function proportionalScale(deployment: Deployment, active: ReplicaSet[]): Map<string, number> {
  const scaled = new Map<string, number>();
  const current = sum(active, replicasOf);
  const allowed = (deployment.spec.replicas ?? 1) + maxSurge(deployment);
  const toAdd = allowed - current;
  if (toAdd === 0 || current === 0) return scaled;
  const largestFirst = [...active].sort(
    (a, b) => replicasOf(b) - replicasOf(a) || (oldestFirst([a, b])[0] === a ? 1 : -1),
  );
  let added = 0;
  for (const set of largestFirst) {
    const share = Math.trunc((replicasOf(set) * toAdd) / current);
    const next = Math.max(0, replicasOf(set) + share);
    added += next - replicasOf(set);
    scaled.set(nameOf(set), next);
  }
  const first = largestFirst[0];
  if (first && added !== toAdd)
    scaled.set(nameOf(first), Math.max(0, (scaled.get(nameOf(first)) ?? 0) + toAdd - added));
  return scaled;
}
