// The node filters of kube-scheduler's default profile that do not involve volumes, each a pure function of the
// pod and the node, with upstream's reasons (pkg/scheduler/framework/plugins/{nodeunschedulable,tainttoleration,
// nodeaffinity}). A filter answers undefined when the node passes, else a FilterStatus.
import type { Node, Pod, Taint, Toleration } from "../api/core/types.js";
import { nodeLabelsOf, nodeSelectorMatches } from "../api/selectors/nodeselector.js";

/**
 * Why a node was rejected. `resolvable` is upstream's Unschedulable (preemption might help) as opposed to
 * UnschedulableAndUnresolvable; it decides the "preemption: …" half of the FailedScheduling message.
 */
export interface FilterStatus {
  reasons: string[];
  resolvable?: boolean;
}

export const ErrReasonUnschedulable = "node(s) were unschedulable";
export const ErrReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector";
export const untoleratedTaintReason = (taint: Taint): string =>
  `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ""}}`;

export const TaintNodeUnschedulable = "node.kubernetes.io/unschedulable";
export const TaintNodeNotReady = "node.kubernetes.io/not-ready";
export const TaintNodeUnreachable = "node.kubernetes.io/unreachable";

/** ToleratesTaint (k8s.io/api/core/v1/toleration.go). */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? "Equal") {
    case "Exists":
      return true;
    case "Equal":
      return (toleration.value ?? "") === (taint.value ?? "");
    default:
      return false;
  }
}

const tolerated = (pod: Pod, taint: Taint): boolean =>
  (pod.spec.tolerations ?? []).some((t) => toleratesTaint(t, taint));

/** NodeUnschedulable: a cordoned node takes only pods that tolerate node.kubernetes.io/unschedulable:NoSchedule. */
export function filterNodeUnschedulable(pod: Pod, node: Node): FilterStatus | undefined {
  if (!node.spec?.unschedulable) return undefined;
  if (tolerated(pod, { key: TaintNodeUnschedulable, effect: "NoSchedule" })) return undefined;
  return { reasons: [ErrReasonUnschedulable] };
}

/**
 * The node's taints, plus the one upstream's node lifecycle controller would add for a Ready condition that is
 * False (not-ready) or Unknown (unreachable): stowage has no such controller yet, and the scheduler must not
 * place pods on nodes that are not Ready. A node without a Ready condition (created through the API, no agent
 * reporting) counts as Ready.
 */
export function effectiveTaints(node: Node): readonly Taint[] {
  const taints = node.spec?.taints ?? [];
  const ready = node.status?.conditions?.find((c) => c.type === "Ready");
  const implied =
    ready?.status === "False" ? TaintNodeNotReady : ready?.status === "Unknown" ? TaintNodeUnreachable : undefined;
  if (implied && !taints.some((t) => t.key === implied && t.effect === "NoSchedule")) {
    return [...taints, { key: implied, effect: "NoSchedule" }];
  }
  return taints; // not copied: asked for every node of every pod
}

/** TaintToleration: the first NoSchedule/NoExecute taint the pod does not tolerate rejects the node. */
export function filterTaintToleration(pod: Pod, node: Node): FilterStatus | undefined {
  const taint = effectiveTaints(node).find(
    (t) => (t.effect === "NoSchedule" || t.effect === "NoExecute") && !tolerated(pod, t),
  );
  return taint ? { reasons: [untoleratedTaintReason(taint)] } : undefined;
}

/** NodeAffinity: spec.nodeSelector (every label equal) and required node affinity (one term matching). */
export function filterNodeAffinity(pod: Pod, node: Node): FilterStatus | undefined {
  const labels = node.metadata.labels ?? {};
  const selector = pod.spec.nodeSelector;
  if (selector) {
    for (const key in selector) if (labels[key] !== selector[key]) return { reasons: [ErrReasonNodeAffinity] };
  }
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required && !nodeSelectorMatches(required, nodeLabelsOf(node))) return { reasons: [ErrReasonNodeAffinity] };
  return undefined;
}
