// The RBAC authorizer, as upstream's (plugin/pkg/auth/authorizer/rbac): a request is allowed when a
// ClusterRoleBinding, or a RoleBinding in the request's namespace, binds the user (by name, group or
// ServiceAccount) to a role one of whose rules covers it. RBAC only allows; with no rule it has no opinion.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding, Subject } from "../../api/rbac/types.js";
import { serviceAccountUser, type RequestAttributes, type UserInfo } from "../../api/user.js";
import { ruleAllows } from "./rules.js";

/** Where the authorizer reads roles and bindings: the apiserver's cache of its own RBAC objects. */
export interface RbacPolicy {
  clusterRoleBindings(): Iterable<ClusterRoleBinding>;
  roleBindings(namespace: string): Iterable<RoleBinding>;
  clusterRole(name: string): ClusterRole | undefined;
  role(namespace: string, name: string): Role | undefined;
}

export interface Decision {
  allowed: boolean;
  /** Why it was allowed (upstream's "RBAC: allowed by …"); empty when RBAC has no opinion. */
  reason: string;
}

/** upstream's appliesToUser: a ServiceAccount subject without a namespace means the binding's own. */
export function subjectMatches(user: UserInfo, subject: Subject, namespace: string): boolean {
  switch (subject.kind) {
    case "User":
      return user.name === subject.name;
    case "Group":
      return user.groups.includes(subject.name);
    case "ServiceAccount": {
      const saNamespace = subject.namespace || namespace;
      return saNamespace !== "" && user.name === serviceAccountUser(saNamespace, subject.name);
    }
    default:
      return false;
  }
}

function describeSubject(subject: Subject, namespace: string): string {
  if (subject.kind !== "ServiceAccount") return `${subject.kind} "${subject.name}"`;
  return `ServiceAccount "${subject.name}/${subject.namespace || namespace}"`;
}

interface Grant {
  binding: string;
  role: string;
  subject: string;
  rules: PolicyRule[];
}

/** Every binding that applies to the user, with the rules of the role it names (a missing role grants nothing). */
export function* grantsFor(policy: RbacPolicy, user: UserInfo, namespace: string): Generator<Grant> {
  for (const binding of policy.clusterRoleBindings()) {
    const subject = (binding.subjects ?? []).find((s) => subjectMatches(user, s, ""));
    if (!subject) continue;
    const role = policy.clusterRole(binding.roleRef.name);
    yield {
      binding: `ClusterRoleBinding "${binding.metadata.name ?? ""}"`,
      role: `ClusterRole "${binding.roleRef.name}"`,
      subject: describeSubject(subject, ""),
      rules: role?.rules ?? [],
    };
  }
  if (namespace === "") return;
  for (const binding of policy.roleBindings(namespace)) {
    const subject = (binding.subjects ?? []).find((s) => subjectMatches(user, s, namespace));
    if (!subject) continue;
    const role =
      binding.roleRef.kind === "ClusterRole"
        ? policy.clusterRole(binding.roleRef.name)
        : policy.role(namespace, binding.roleRef.name);
    yield {
      binding: `RoleBinding "${binding.metadata.name ?? ""}/${namespace}"`,
      role: `${binding.roleRef.kind} "${binding.roleRef.name}"`,
      subject: describeSubject(subject, namespace),
      rules: role?.rules ?? [],
    };
  }
}

export function authorizeRbac(policy: RbacPolicy, request: RequestAttributes): Decision {
  for (const grant of grantsFor(policy, request.user, request.namespace)) {
    if (grant.rules.some((rule) => ruleAllows(request, rule))) {
      return { allowed: true, reason: `RBAC: allowed by ${grant.binding} of ${grant.role} to ${grant.subject}` };
    }
  }
  return { allowed: false, reason: "" };
}

/** Every rule the user holds in a namespace ("" for cluster scope): SelfSubjectRulesReview, `kubectl auth can-i --list`. */
export function rulesFor(policy: RbacPolicy, user: UserInfo, namespace: string): PolicyRule[] {
  return [...grantsFor(policy, user, namespace)].flatMap((grant) => grant.rules);
}
