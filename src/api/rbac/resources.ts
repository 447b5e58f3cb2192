// The four RBAC kinds as served resources: validation, defaults and `kubectl get` columns as upstream's.
// Roles have no printer upstream, so the server's default table applies (NAME, CREATED AT); bindings print
// their role as Kind/name and, with -o wide, their subjects by kind.
import type { FieldError } from "../field.js";
import type { KubeObject } from "../meta.js";
import type { ResourceDefinition, TableColumnDefinition } from "../resource.js";
import { ageColumn, column, createdAtColumn, nameColumn, translateTimestampSince } from "../table.js";
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { standardVerbs } from "../verbs.js";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding, Subject } from "./types.js";
import { rbacGroup } from "./types.js";
import {
  defaultSubjects,
  rbacName,
  validateAggregationRule,
  validateRoleRef,
  validateRules,
  validateSubjects,
} from "./validation.js";

const meta = (object: KubeObject, namespaced: boolean): FieldError[] =>
  validateObjectMeta(object.metadata, namespaced, (name) => rbacName(name));

function definition<T extends KubeObject>(
  kind: string,
  plural: string,
  namespaced: boolean,
  validate: (object: T) => FieldError[],
  table: ResourceDefinition<T>["table"],
  extra: Partial<ResourceDefinition<T>> = {},
): ResourceDefinition<T> {
  return {
    group: rbacGroup,
    version: "v1",
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: [],
    namespaced,
    hasStatus: false,
    verbs: standardVerbs,
    applyDefaults() {},
    validateCreate: (object) => [...meta(object, namespaced), ...validate(object)],
    validateUpdate: (object, old) => [...validateObjectMetaUpdate(object.metadata, old.metadata), ...validate(object)],
    bumpsGeneration: () => false,
    table,
    ...extra,
  };
}

const roleTable = {
  columns: [nameColumn, createdAtColumn],
  row: (role: KubeObject) => [role.metadata.name, role.metadata.creationTimestamp ?? ""],
};

export const roles = definition<Role>("Role", "roles", true, (role) => validateRules(role.rules, true), roleTable);

export const clusterRoles = definition<ClusterRole>(
  "ClusterRole",
  "clusterroles",
  false,
  (role) => [...validateRules(role.rules, false), ...validateAggregationRule(role.aggregationRule)],
  roleTable,
);

const subjectNames = (subjects: Subject[] | undefined, kind: Subject["kind"]): string =>
  (subjects ?? [])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === "ServiceAccount" ? `${s.namespace ?? ""}:${s.name}` : s.name))
    .join(", ");

const bindingColumns = (what: string): TableColumnDefinition[] => [
  nameColumn,
  column(
    "Role",
    "string",
    "RoleRef can only reference the current namespace. It can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.",
  ),
  ageColumn,
  column("Users", "string", `Users in the ${what}`, 1),
  column("Groups", "string", `Groups in the ${what}`, 1),
  column("ServiceAccounts", "string", `ServiceAccounts in the ${what}`, 1),
];

const bindingRow = (binding: RoleBinding | ClusterRoleBinding, now: Date): unknown[] => [
  binding.metadata.name,
  `${binding.roleRef?.kind ?? ""}/${binding.roleRef?.name ?? ""}`,
  translateTimestampSince(binding.metadata.creationTimestamp, now),
  subjectNames(binding.subjects, "User"),
  subjectNames(binding.subjects, "Group"),
  subjectNames(binding.subjects, "ServiceAccount"),
];

function bindingDefinition<T extends RoleBinding | ClusterRoleBinding>(
  kind: string,
  plural: string,
  namespaced: boolean,
): ResourceDefinition<T> {
  const kinds: RoleBinding["roleRef"]["kind"][] = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
  const validate = (binding: T): FieldError[] => [
    ...validateRoleRef(binding.roleRef, kinds),
    ...validateSubjects(binding.subjects, namespaced),
  ];
  return definition<T>(
    kind,
    plural,
    namespaced,
    validate,
    { columns: bindingColumns(kind.charAt(0).toLowerCase() + kind.slice(1)), row: bindingRow },
    {
      applyDefaults: (binding) => defaultSubjects(binding.subjects),
      // upstream: "cannot change roleRef" — a binding to another role is a new binding.
      validateUpdate: (binding, old) => [
        ...validateObjectMetaUpdate(binding.metadata, old.metadata),
        ...validate(binding),
        ...validateImmutableField(binding.roleRef, old.roleRef, "roleRef").map((e) => ({
          ...e,
          detail: "cannot change roleRef",
        })),
      ],
    },
  );
}

export const roleBindings = bindingDefinition<RoleBinding>("RoleBinding", "rolebindings", true);
export const clusterRoleBindings = bindingDefinition<ClusterRoleBinding>(
  "ClusterRoleBinding",
  "clusterrolebindings",
  false,
);
