// Which pods a ReplicaSet counts and which it deletes first (upstream pkg/controller/controller_utils.go
// FilterActivePods, ActivePodsWithRanks.Less, podutil.IsPodAvailable).
import type { Pod } from "../../api/core/types.js";

/** The annotation that ranks pods for scale-down (lower cost goes first). */
export const PodDeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

/** Counted pods: not finished (Succeeded/Failed) and not being deleted. */
export const isPodActive = (pod: Pod): boolean =>
  pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed" && !pod.metadata.deletionTimestamp;

const readyCondition = (pod: Pod) => (pod.status?.conditions ?? []).find((c) => c.type === "Ready");

export const isPodReady = (pod: Pod): boolean => readyCondition(pod)?.status === "True";

/** Ready for at least minReadySeconds (upstream IsPodAvailable). */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? "");
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now.getTime();
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const restarts = (pod: Pod) => Math.max(0, ...(pod.status?.containerStatuses ?? []).map((s) => s.restartCount ?? 0));
const deletionCost = (pod: Pod) => {
  const value = Number(pod.metadata.annotations?.[PodDeletionCostAnnotation] ?? 0);
  return Number.isFinite(value) ? value : 0;
};
const time = (text: string | undefined) => (text ? Date.parse(text) : 0);

/**
 * Negative when `a` should be deleted before `b`: unscheduled before scheduled, Pending before Unknown before
 * Running, not ready before ready, lower deletion cost first, pods doubled up on a node first, the most recently
 * ready first, more restarts first, newer first.
 */
export function deleteFirst(a: Pod, b: Pod, podsOnNode: (pod: Pod) => number = () => 0): number {
  const assigned = (pod: Pod) => (pod.spec.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phase = (pod: Pod) => phaseRank[pod.status?.phase ?? "Pending"] ?? 0;
  if (phase(a) !== phase(b)) return phase(a) - phase(b);
  const ready = (pod: Pod) => (isPodReady(pod) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) - deletionCost(b);
  if (podsOnNode(a) !== podsOnNode(b)) return podsOnNode(b) - podsOnNode(a);
  if (isPodReady(a)) {
    const readySince = (pod: Pod) => time(readyCondition(pod)?.lastTransitionTime);
    if (readySince(a) !== readySince(b)) return readySince(b) - readySince(a);
  }
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  return time(b.metadata.creationTimestamp) - time(a.metadata.creationTimestamp);
}

/** The `count` pods to delete when scaling down, ranked by deleteFirst with doubled-up nodes counted among them. */
export function podsToDelete(pods: Pod[], count: number): Pod[] {
  const perNode = new Map<string, number>();
  for (const pod of pods)
    if (pod.spec.nodeName) perNode.set(pod.spec.nodeName, (perNode.get(pod.spec.nodeName) ?? 0) + 1);
  const onNode = (pod: Pod) => (pod.spec.nodeName ? (perNode.get(pod.spec.nodeName) ?? 0) : 0);
  return [...pods].sort((a, b) => deleteFirst(a, b, onNode)).slice(0, Math.max(0, count));
}
