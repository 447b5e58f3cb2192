// The taints the node lifecycle controller owns (node_lifecycle_controller.go, pkg/util/taints): NoSchedule taints
// mirroring the node's conditions (Ready False → not-ready, Ready Unknown → unreachable, pressure → *-pressure,
// cordoned → unschedulable), and the NoExecute not-ready/unreachable taints (added rate-limited per zone: zones.ts).
// Pure functions here; controller.ts writes the results.
import type { Node, NodeCondition, Taint } from "../../api/core/types.js";
import {
  TaintNodeDiskPressure,
  TaintNodeMemoryPressure,
  TaintNodeNetworkUnavailable,
  TaintNodeNotReady,
  TaintNodePIDPressure,
  TaintNodeUnreachable,
  TaintNodeUnschedulable,
} from "../../api/wellknown.js";

export const UnreachableTaintTemplate: Taint = { key: TaintNodeUnreachable, effect: "NoExecute" };
export const NotReadyTaintTemplate: Taint = { key: TaintNodeNotReady, effect: "NoExecute" };

/** nodeConditionToTaintKeyStatusMap: condition type → status → taint key. */
const conditionTaints: Record<string, Partial<Record<NodeCondition["status"], string>>> = {
  Ready: { False: TaintNodeNotReady, Unknown: TaintNodeUnreachable },
  MemoryPressure: { True: TaintNodeMemoryPressure },
  DiskPressure: { True: TaintNodeDiskPressure },
  NetworkUnavailable: { True: TaintNodeNetworkUnavailable },
  PIDPressure: { True: TaintNodePIDPressure },
};

/** taintKeyToNodeConditionMap's keys: the NoSchedule taints this controller may add and remove. */
const conditionTaintKeys = new Set([
  TaintNodeNotReady,
  TaintNodeUnreachable,
  TaintNodeNetworkUnavailable,
  TaintNodeMemoryPressure,
  TaintNodeDiskPressure,
  TaintNodePIDPressure,
]);

const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;
export const taintExists = (taints: Taint[] | undefined, taint: Taint): boolean =>
  (taints ?? []).some((t) => sameTaint(t, taint));

/**
 * doNoScheduleTaintingPass: the NoSchedule taints the node's conditions call for, against the ones it has.
 * Taints added by anyone else (other keys, other effects) are never touched.
 */
export function noScheduleTaintChanges(node: Node): { add: Taint[]; remove: Taint[] } {
  const want: Taint[] = [];
  for (const condition of node.status?.conditions ?? []) {
    const key = conditionTaints[condition.type]?.[condition.status];
    if (key) want.push({ key, effect: "NoSchedule" });
  }
  if (node.spec?.unschedulable) want.push({ key: TaintNodeUnschedulable, effect: "NoSchedule" });
  const have = (node.spec?.taints ?? []).filter(
    (t) => t.effect === "NoSchedule" && (t.key === TaintNodeUnschedulable || conditionTaintKeys.has(t.key)),
  );
  return {
    add: want.filter((w) => !have.some((h) => sameTaint(h, w))),
    remove: have.filter((h) => !want.some((w) => sameTaint(h, w))),
  };
}

/**
 * SwapNodeControllerTaint on a node's taints: adds (stamped with timeAdded, replacing a taint of the same key and
 * effect) and removes. Undefined when nothing changes, so callers skip the write.
 */
export function swapTaints(node: Node, add: Taint[], remove: Taint[], now: string): Taint[] | undefined {
  const before = node.spec?.taints ?? [];
  let taints = before.filter((t) => !remove.some((r) => sameTaint(t, r)));
  for (const taint of add) {
    if (taints.some((t) => sameTaint(t, taint) && (t.value ?? "") === (taint.value ?? ""))) continue;
    taints = [...taints.filter((t) => !sameTaint(t, taint)), { ...taint, timeAdded: now }];
  }
  if (taints.length === before.length && taints.every((t, i) => t === before[i])) return undefined;
  return taints;
}
