// rbac.authorization.k8s.io/v1: who may do what (k8s.io/api/rbac/v1).
import type { KubeObject, LabelSelector } from "../meta.js";

export const rbacGroup = "rbac.authorization.k8s.io";

/** One grant: verbs on resources (of API groups, optionally by name) or on non-resource URLs. "*" means all. */
export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  /** Plural resource names, "resource/subresource", or "*" (and "*\/subresource"). */
  resources?: string[];
  resourceNames?: string[];
  /** Paths like /healthz or /api/*: a trailing "*" matches a prefix. ClusterRoles only. */
  nonResourceURLs?: string[];
}

export interface Role extends KubeObject {
  rules?: PolicyRule[];
}

export interface AggregationRule {
  clusterRoleSelectors?: LabelSelector[];
}

export interface ClusterRole extends KubeObject {
  rules?: PolicyRule[];
  /** The rules are those of every ClusterRole one of these selectors matches (kept up to date by a controller). */
  aggregationRule?: AggregationRule;
}

export type SubjectKind = "User" | "Group" | "ServiceAccount";

export interface Subject {
  kind: SubjectKind;
  /** rbac.authorization.k8s.io for User and Group, "" for ServiceAccount (defaulted). */
  apiGroup?: string;
  name: string;
  /** ServiceAccount subjects: its namespace. */
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: "Role" | "ClusterRole";
  name: string;
}

export interface RoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef: RoleRef;
}

export interface ClusterRoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef: RoleRef;
}
