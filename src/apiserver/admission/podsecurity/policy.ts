// Pod Security admission as upstream's: a namespace's labels pod-security.kubernetes.io/<mode>[-version] pick
// a level per mode; "enforce" refuses a pod that breaks it, "warn" lets it in with a Warning header kubectl prints.
// Only the "latest" version of the standards is known here; a pinned version is checked as latest.
import type { Pod } from "../../../api/core/types.js";
import { describeViolations, violations, type Level } from "./checks.js";

const levels: readonly Level[] = ["privileged", "baseline", "restricted"];
const labelPrefix = "pod-security.kubernetes.io/";

export interface NamespacePolicy {
  enforce: Level;
  enforceVersion: string;
  warn: Level;
  warnVersion: string;
}

/** The namespace's policy; a missing or unknown level is privileged, as upstream's default. */
export function namespacePolicy(labels: Record<string, string> | undefined): NamespacePolicy {
  const level = (mode: string): Level => {
    const value = labels?.[`${labelPrefix}${mode}`] as Level | undefined;
    return value && levels.includes(value) ? value : "privileged";
  };
  const version = (mode: string) => labels?.[`${labelPrefix}${mode}-version`] ?? "latest";
  return {
    enforce: level("enforce"),
    enforceVersion: version("enforce"),
    warn: level("warn"),
    warnVersion: version("warn"),
  };
}

export interface PodSecurityDecision {
  /** Set when enforce refuses the pod: the message after `pods "<name>" is forbidden: `. */
  forbidden?: string;
  /** Warning header values (kubectl prints them as "Warning: …"). */
  warnings: string[];
}

export function podSecurity(policy: NamespacePolicy, pod: Pod): PodSecurityDecision {
  const enforced = violations(pod, policy.enforce);
  if (enforced.length > 0) {
    return {
      forbidden: `violates PodSecurity "${policy.enforce}:${policy.enforceVersion}": ${describeViolations(enforced)}`,
      warnings: [],
    };
  }
  const warned = violations(pod, policy.warn);
  return {
    warnings: warned.length
      ? [`would violate PodSecurity "${policy.warn}:${policy.warnVersion}": ${describeViolations(warned)}`]
      : [],
  };
}
