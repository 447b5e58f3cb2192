// Which nodes a DaemonSet's pod belongs on (upstream pkg/controller/daemon/daemon_controller.go
// nodeShouldRunDaemonPod and util/daemonset_util.go): the template's nodeSelector and required node affinity, and the
// node's taints against the template's tolerations plus the ones every daemon pod gets.
import type { DaemonSet } from "../../api/apps/types.js";
import type { Node, Pod, PodTemplateSpec } from "../../api/core/types.js";
import type { Taint, Toleration } from "../../api/core/scheduling.js";
import { nodeLabelsOf, nodeSelectorMatches } from "../../api/selectors/nodeselector.js";

/** upstream AddOrUpdateDaemonPodTolerations: daemons keep running through node trouble and on cordoned nodes. */
export const daemonTolerations: Toleration[] = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
];

/** k8s.io/api/core/v1 Toleration.ToleratesTaint (the scheduler has its own copy; controllers cannot import it). */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  if ((toleration.operator ?? "Equal") === "Exists") return true;
  return (toleration.value ?? "") === (taint.value ?? "");
}

/** The template with the daemon tolerations added (those it has already are not doubled). */
export function withDaemonTolerations(template: PodTemplateSpec): PodTemplateSpec {
  const copy = structuredClone(template);
  const tolerations = [...(copy.spec.tolerations ?? [])];
  for (const t of daemonTolerations) {
    if (!tolerations.some((x) => x.key === t.key && x.effect === t.effect && x.operator === t.operator))
      tolerations.push(t);
  }
  copy.spec.tolerations = tolerations;
  return copy;
}

/**
 * upstream nodeShouldRunDaemonPod: `shouldRun` — a new daemon pod belongs here; `shouldContinueRunning` — one already
 * here may stay (a NoSchedule taint added later does not evict it, a NoExecute one does).
 */
export function nodeShouldRunDaemonPod(
  set: DaemonSet,
  node: Node,
): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = withDaemonTolerations(set.spec.template).spec;
  const labels = node.metadata.labels ?? {};
  const selected =
    Object.entries(spec.nodeSelector ?? {}).every(([key, value]) => labels[key] === value) &&
    (!spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ||
      nodeSelectorMatches(
        spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution,
        nodeLabelsOf(node),
      ));
  if (!selected) return { shouldRun: false, shouldContinueRunning: false };
  const untolerated = (node.spec?.taints ?? []).filter(
    (taint) => !(spec.tolerations ?? []).some((t) => toleratesTaint(t, taint)),
  );
  return {
    shouldRun: !untolerated.some((t) => t.effect === "NoSchedule" || t.effect === "NoExecute"),
    shouldContinueRunning: !untolerated.some((t) => t.effect === "NoExecute"),
  };
}

/** The node a daemon pod is for: where it runs, or the node its matchFields affinity names before it is bound. */
export function targetNode(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const field of term.matchFields ?? []) {
      if (field.key === "metadata.name" && field.operator === "In" && field.values?.length === 1)
        return field.values[0];
    }
  }
  return undefined;
}
