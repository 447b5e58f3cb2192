// Pod Security admission as upstream's: a namespace's labels pod-security.kubernetes.io/<mode>[-version] pick a
// level per mode; "enforce" refuses a pod that breaks it, "warn" lets it in with a Warning header kubectl prints,
// "audit" records an audit annotation. Only the "latest" version of the standards is known here; a pinned version
// is checked as latest but named as pinned.
import type { Pod } from "../../../api/core/types.js";
import { describeViolations, violations, type Level } from "./checks.js";

const levels: readonly Level[] = ["privileged", "baseline", "restricted"];
const labelPrefix = "pod-security.kubernetes.io/";
/** The audit annotations upstream's plugin records (its keys, under the label prefix). */
export const enforcePolicyAnnotation = `${labelPrefix}enforce-policy`;
export const auditViolationsAnnotation = `${labelPrefix}audit-violations`;

export interface LevelVersion {
  level: Level;
  version: string;
}

export const levelVersion = (lv: LevelVersion): string => `${lv.level}:${lv.version}`;

export interface NamespacePolicy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

/** The namespace's policy; a missing or unknown level is privileged, as upstream's default. */
export function namespacePolicy(labels: Record<string, string> | undefined): NamespacePolicy {
  const mode = (name: string): LevelVersion => {
    const value = labels?.[`${labelPrefix}${name}`] as Level | undefined;
    return {
      level: value && levels.includes(value) ? value : "privileged",
      version: labels?.[`${labelPrefix}${name}-version`] ?? "latest",
    };
  };
  return { enforce: mode("enforce"), audit: mode("audit"), warn: mode("warn") };
}

export const fullyPrivileged = (policy: NamespacePolicy): boolean =>
  [policy.enforce, policy.audit, policy.warn].every((lv) => lv.level === "privileged");

/** api.CompareLevels: privileged < baseline < restricted. */
export const compareLevels = (a: Level, b: Level): number => levels.indexOf(a) - levels.indexOf(b);

export interface PodSecurityDecision {
  /** Set when enforce refuses the pod: the message after `pods "<name>" is forbidden: `. */
  forbidden?: string;
  /** Warning header values (kubectl prints them as "Warning: …"). */
  warnings: string[];
  /** What an audit log records with the request. */
  auditAnnotations: Record<string, string>;
}

/**
 * upstream's EvaluatePod: enforce (for pods; not for the templates of pod controllers), then audit, then warn —
 * a request already refused gets no warning.
 */
export function podSecurity(policy: NamespacePolicy, pod: Pod, enforce = true): PodSecurityDecision {
  const decision: PodSecurityDecision = { warnings: [], auditAnnotations: {} };
  if (enforce) {
    decision.auditAnnotations[enforcePolicyAnnotation] = levelVersion(policy.enforce);
    const enforced = violations(pod, policy.enforce.level);
    if (enforced.length) {
      decision.forbidden = `violates PodSecurity "${levelVersion(policy.enforce)}": ${describeViolations(enforced)}`;
    }
  }
  const audited = violations(pod, policy.audit.level);
  if (audited.length) {
    decision.auditAnnotations[auditViolationsAnnotation] =
      `would violate PodSecurity "${levelVersion(policy.audit)}": ${describeViolations(audited)}`;
  }
  const warned = decision.forbidden ? [] : violations(pod, policy.warn.level);
  if (warned.length) {
    decision.warnings.push(`would violate PodSecurity "${levelVersion(policy.warn)}": ${describeViolations(warned)}`);
  }
  return decision;
}
