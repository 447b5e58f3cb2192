// What a DaemonSet does next (upstream pkg/controller/daemon: manage, rollingUpdate, updateDaemonSetStatus), as a pure
// function of the set, the nodes and its pods: a pod for each node that should run one, none elsewhere, failed ones
// replaced, old-template pods replaced up to maxUnavailable at a time, and the status counts.
import { scaledValue } from "../../api/apps/podtemplate.js";
import type { DaemonSet, DaemonSetStatus } from "../../api/apps/types.js";
import type { Node, Pod } from "../../api/core/types.js";
import { ControllerRevisionHashLabel } from "../../api/wellknown.js";
import { nodeShouldRunDaemonPod, targetNode } from "./predicates.js";

export interface DaemonSetDecision {
  create: string[];
  remove: Pod[];
  status: DaemonSetStatus;
}

const isReady = (pod: Pod) => (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

function isAvailable(pod: Pod, minReadySeconds: number, now: Date): boolean {
  const ready = (pod.status?.conditions ?? []).find((c) => c.type === "Ready" && c.status === "True");
  if (!ready) return false;
  return minReadySeconds <= 0 || Date.parse(ready.lastTransitionTime ?? "") + minReadySeconds * 1000 <= now.getTime();
}

/** One round of a DaemonSet; `hash` is its current template's controller-revision-hash. */
export function decideDaemonSet(
  set: DaemonSet,
  nodes: Node[],
  pods: Pod[],
  hash: string,
  now: Date,
): DaemonSetDecision {
  const create: string[] = [];
  const remove: Pod[] = [];
  const byNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = targetNode(pod);
    if (node) byNode.set(node, [...(byNode.get(node) ?? []), pod]);
  }
  const minReady = set.spec.minReadySeconds ?? 0;
  const status: DaemonSetStatus = {
    ...set.status,
    currentNumberScheduled: 0,
    numberMisscheduled: 0,
    desiredNumberScheduled: 0,
    numberReady: 0,
    updatedNumberScheduled: 0,
    numberAvailable: 0,
    observedGeneration: set.metadata.generation,
  };
  let unavailable = 0;
  const oldAvailable: Pod[] = [];
  for (const node of nodes) {
    const name = node.metadata.name ?? "";
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(set, node);
    const live = (byNode.get(name) ?? []).filter((pod) => !pod.metadata.deletionTimestamp);
    const failed = live.filter((pod) => pod.status?.phase === "Failed");
    const running = live.filter((pod) => pod.status?.phase !== "Failed");
    if (shouldRun) status.desiredNumberScheduled++;
    if (!shouldContinueRunning) {
      // Not (or no longer) eligible: every daemon pod here goes.
      if (running.length) status.numberMisscheduled++;
      remove.push(...live);
      continue;
    }
    remove.push(...failed); // upstream deletes a failed daemon pod so a fresh one can start
    if (running.length === 0) {
      if (shouldRun) {
        create.push(name);
        unavailable++;
      }
      continue;
    }
    // One daemon pod per node: the oldest stays.
    const [kept, ...extra] = [...running].sort((a, b) =>
      (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""),
    );
    remove.push(...extra);
    if (!shouldRun) {
      // A NoSchedule taint added after the pod started: it may stay, but it is not where the set wants one.
      status.numberMisscheduled++;
      continue;
    }
    status.currentNumberScheduled++;
    const updated = kept.metadata.labels?.[ControllerRevisionHashLabel] === hash;
    const available = isAvailable(kept, minReady, now);
    if (isReady(kept)) status.numberReady++;
    if (available) status.numberAvailable = (status.numberAvailable ?? 0) + 1;
    else unavailable++;
    if (updated) status.updatedNumberScheduled = (status.updatedNumberScheduled ?? 0) + 1;
    else if (set.spec.updateStrategy?.type !== "OnDelete") {
      // An old pod that is not available costs nothing to replace; an available one waits for the budget.
      if (available) oldAvailable.push(kept);
      else remove.push(kept);
    }
  }
  status.numberUnavailable = Math.max(0, status.desiredNumberScheduled - (status.numberAvailable ?? 0));
  const budget = scaledValue(
    set.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1,
    status.desiredNumberScheduled,
    true,
  );
  for (const pod of oldAvailable) {
    if (unavailable >= budget) break;
    remove.push(pod);
    unavailable++;
  }
  return { create, remove, status };
}
