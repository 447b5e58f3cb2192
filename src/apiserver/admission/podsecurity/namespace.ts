// What upstream's PodSecurity says when a namespace's enforce label tightens: the namespace is labelled anyway, with
// warnings naming the existing pods the new level would refuse — one line per distinct set of reasons, naming the
// first pod (by name) and how many others share it, so `kubectl label ns … enforce=baseline` shows what would break.
import type { Pod } from "../../../api/core/types.js";
import { violations } from "./checks.js";
import { compareLevels, levelVersion, type LevelVersion, type NamespacePolicy } from "./policy.js";

/** upstream's ValidateNamespace skips the pods when the enforce level did not change, was lifted, or was relaxed. */
export function enforceTightened(next: NamespacePolicy, old: NamespacePolicy): boolean {
  const [a, b] = [next.enforce, old.enforce];
  if (a.level === b.level && a.version === b.version) return false;
  if (a.level === "privileged") return false;
  return !(a.version === b.version && compareLevels(a.level, b.level) < 1);
}

/** upstream's EvaluatePodsInNamespace. */
export function existingPodWarnings(namespace: string, enforce: LevelVersion, pods: Pod[]): string[] {
  const byReasons = new Map<string, { first: string; count: number }>();
  for (const pod of pods) {
    const found = violations(pod, enforce.level);
    if (!found.length) continue;
    const reasons = found.map((v) => v.reason).join(", ");
    const name = pod.metadata.name ?? "";
    const seen = byReasons.get(reasons);
    if (!seen) byReasons.set(reasons, { first: name, count: 1 });
    else byReasons.set(reasons, { first: name < seen.first ? name : seen.first, count: seen.count + 1 });
  }
  if (!byReasons.size) return [];
  const podWarnings = [...byReasons].map(([reasons, { first, count }]) => {
    const others = count === 1 ? "" : count === 2 ? " (and 1 other pod)" : ` (and ${count - 1} other pods)`;
    return `${first}${others}: ${reasons}`;
  });
  return [
    `existing pods in namespace "${namespace}" violate the new PodSecurity enforce level "${levelVersion(enforce)}"`,
    ...podWarnings.sort(),
  ];
}
