// Which pods to create and delete next (upstream StatefulSetControl's updateStatefulSet, without revisions):
// ordinals below replicas must exist, those above are "condemned" and go highest first. OrderedReady
// ("monotonic") takes one step at a time and waits while any pod is not Running and Ready or is terminating;
// Parallel creates and deletes all at once.
import type { PodManagementPolicyType } from "../../api/apps/types.js";

/** What the decision needs to know about the pod at one ordinal. */
export type PodState = "Missing" | "Pending" | "RunningReady" | "Failed" | "Terminating";

export interface Decision {
  create: number[];
  /** Pods to delete: failed ones (to be recreated) and condemned ones. */
  delete: number[];
}

export function decide(
  policy: PodManagementPolicyType,
  start: number,
  replicas: number,
  pods: ReadonlyMap<number, Exclude<PodState, "Missing">>,
): Decision {
  const monotonic = policy !== "Parallel";
  const decision: Decision = { create: [], delete: [] };
  const end = start + replicas;
  for (let ordinal = start; ordinal < end; ordinal++) {
    const state = pods.get(ordinal) ?? "Missing";
    if (state === "Missing") {
      decision.create.push(ordinal);
      if (monotonic) return decision; // wait for it to be Running and Ready
      continue;
    }
    if (state === "Failed") {
      // A failed pod is deleted and recreated under the same name on a later pass.
      decision.delete.push(ordinal);
      if (monotonic) return decision;
      continue;
    }
    if (monotonic && state !== "RunningReady") return decision;
  }
  const condemned = [...pods.keys()].filter((ordinal) => ordinal < start || ordinal >= end).sort((a, b) => b - a);
  for (const ordinal of condemned) {
    const state = pods.get(ordinal);
    if (state === "Terminating") {
      if (monotonic) return decision; // one at a time: wait until it is gone
      continue;
    }
    // Upstream refuses to scale down past an unhealthy pod in OrderedReady unless it is the one going.
    if (monotonic && state !== "RunningReady" && condemned[0] !== ordinal) return decision;
    decision.delete.push(ordinal);
    if (monotonic) return decision;
  }
  return decision;
}

/**
 * The rolling update's next step (upstream updateStatefulSet's last loop), once creation and scaling have nothing
 * left to do: from the highest ordinal down to the partition, delete the first pod not at the update revision
 * (it is recreated at the update revision by the next pass), and wait while a pod on the way is not Running and
 * Ready, so one pod at a time is unavailable. Ordinals below start + partition keep their revision.
 */
export function rollingUpdateStep(
  start: number,
  replicas: number,
  partition: number,
  pods: ReadonlyMap<number, { state: Exclude<PodState, "Missing">; updated: boolean }>,
): { delete?: number } {
  for (let ordinal = start + replicas - 1; ordinal >= start + partition; ordinal--) {
    const pod = pods.get(ordinal);
    if (!pod) return {}; // being created: the creation pass waits for it
    if (!pod.updated && pod.state !== "Terminating") return { delete: ordinal };
    if (pod.state !== "RunningReady") return {};
  }
  return {};
}

/**
 * May the rolling update take a step? Upstream's OrderedReady pass returns before its update loop while any pod in
 * range is missing or not Running and Ready, or a condemned pod is still there; Parallel goes on (the update step
 * itself waits on the unhealthy pods it walks past).
 */
export function readyForUpdate(
  policy: PodManagementPolicyType,
  start: number,
  replicas: number,
  pods: ReadonlyMap<number, Exclude<PodState, "Missing">>,
): boolean {
  if (policy === "Parallel") return true;
  for (let ordinal = start; ordinal < start + replicas; ordinal++)
    if (pods.get(ordinal) !== "RunningReady") return false;
  return [...pods.keys()].every((ordinal) => ordinal >= start && ordinal < start + replicas);
}
