// RBAC privilege-escalation prevention, as upstream's policy-based RBAC storage (pkg/registry/rbac/{role,clusterrole,
// rolebinding,clusterrolebinding}/policybased): a Role or ClusterRole is written only by someone who already holds
// every permission in it (in its namespace, or cluster-wide for a ClusterRole) or may `escalate` it; a binding only by
// someone who holds its role's permissions or may `bind` that role. system:masters may do either. Upstream runs this
// in the RBAC registries after mutating admission and before validation, which is where this plugin's admit runs.
import type { KubeObject } from "../../api/meta.js";
import {
  rbacGroup,
  type ClusterRole,
  type ClusterRoleBinding,
  type PolicyRule,
  type Role,
  type RoleBinding,
  type RoleRef,
} from "../../api/rbac/types.js";
import { SystemMasters, type RequestAttributes, type UserInfo } from "../../api/user.js";
import { deepEqual } from "../../api/validation/meta.js";
import type { AdmissionAttributes, AdmissionPlugin, ObjectReader } from "../admission/types.js";
import { forbidden, notFound } from "../errors.js";
import { escalationMessage } from "./escalation.js";
import { subjectMatches } from "./rbac.js";

/** The apiserver's authorizer (the gate's union), asked about `escalate` and `bind`. */
export interface Authorizer {
  authorize(attributes: RequestAttributes): { allowed: boolean };
}
type Authorize = (attributes: RequestAttributes) => boolean;

const fullAuthority: PolicyRule[] = [
  { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
  { verbs: ["*"], nonResourceURLs: ["*"] },
];

const roleResource = (kind: RoleRef["kind"]) => (kind === "ClusterRole" ? "clusterroles" : "roles");

/** The rules a role reference grants, read from the store as upstream's rule resolver reads its registries. */
async function roleRules(reader: ObjectReader, ref: RoleRef, namespace: string): Promise<PolicyRule[]> {
  const resource = roleResource(ref.kind);
  const role = (await reader.get(rbacGroup, resource, ref.kind === "Role" ? namespace : undefined, ref.name)) as
    Role | ClusterRole | undefined;
  if (!role) throw notFound({ group: rbacGroup, resource }, ref.name);
  return role.rules ?? [];
}

/** upstream's RulesFor: every rule the user holds in the namespace ("" cluster-wide), and the roles it could not read. */
async function heldRules(reader: ObjectReader, user: UserInfo, namespace: string) {
  const bindings: { ref: RoleRef; namespace: string }[] = [];
  for (const binding of (await reader.list(rbacGroup, "clusterrolebindings")) as ClusterRoleBinding[]) {
    if ((binding.subjects ?? []).some((s) => subjectMatches(user, s, "")))
      bindings.push({ ref: binding.roleRef, namespace: "" });
  }
  if (namespace) {
    for (const binding of (await reader.list(rbacGroup, "rolebindings", namespace)) as RoleBinding[]) {
      if ((binding.subjects ?? []).some((s) => subjectMatches(user, s, namespace)))
        bindings.push({ ref: binding.roleRef, namespace });
    }
  }
  const rules: PolicyRule[] = [];
  const errors: string[] = [];
  for (const binding of bindings) {
    try {
      rules.push(...(await roleRules(reader, binding.ref, binding.namespace)));
    } catch (err) {
      errors.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { rules, errors };
}

/** upstream's IsOnlyMutatingGCFields: an update that touches only ownerReferences and finalizers is never refused. */
function onlyGCFields(object: KubeObject, old: KubeObject | undefined): boolean {
  if (!old) return false;
  const copy = structuredClone(object);
  copy.metadata.ownerReferences = old.metadata.ownerReferences;
  copy.metadata.finalizers = old.metadata.finalizers;
  copy.metadata.managedFields = old.metadata.managedFields;
  for (const key of ["ownerReferences", "finalizers", "managedFields"] as const)
    if (copy.metadata[key] === undefined) delete copy.metadata[key];
  return deepEqual(copy, old);
}

function resourceAttributes(
  user: UserInfo,
  verb: string,
  resource: string,
  namespace: string,
  name: string,
): RequestAttributes {
  return {
    user,
    verb,
    resourceRequest: true,
    apiGroup: rbacGroup,
    resource,
    subresource: "",
    namespace,
    name,
    path: "",
  };
}

interface Check {
  attrs: AdmissionAttributes;
  object: KubeObject;
  user: UserInfo;
  namespace: string;
  reader: ObjectReader;
  authorize: Authorize;
}

async function confirmNoEscalation(check: Check, wanted: PolicyRule[], why?: string): Promise<void> {
  const { user, namespace, reader, attrs, object } = check;
  const held = await heldRules(reader, user, namespace);
  const message = escalationMessage(user, held.rules, wanted, held.errors);
  if (message)
    throw forbidden({ group: rbacGroup, resource: attrs.def.plural }, object.metadata.name ?? "", why ?? message);
}

/** Roles and ClusterRoles: held, or `escalate` on the resource (by name on update: a create has no name yet). */
async function checkRole(check: Check): Promise<void> {
  const { attrs, object, user, namespace, authorize } = check;
  const name = attrs.operation === "UPDATE" ? attrs.name : "";
  if (authorize(resourceAttributes(user, "escalate", attrs.def.plural, namespace, name))) return;
  if (attrs.operation === "UPDATE" && onlyGCFields(object, attrs.old)) return;
  await confirmNoEscalation(check, (object as Role).rules ?? []);
  // an aggregationRule can gather anything and, on update, keep a role from being tightened: cluster-admin only
  const aggregates = (role: KubeObject | undefined) =>
    !!(role as ClusterRole | undefined)?.aggregationRule?.clusterRoleSelectors?.length;
  if (attrs.def.plural === "clusterroles" && (aggregates(object) || aggregates(attrs.old))) {
    await confirmNoEscalation(check, fullAuthority, "must have cluster-admin privileges to use the aggregationRule");
  }
}

/** RoleBindings and ClusterRoleBindings: `bind` on the role by name, or hold what it grants. */
async function checkBinding(check: Check): Promise<void> {
  const { attrs, object, user, namespace, authorize, reader } = check;
  if (attrs.operation === "UPDATE" && onlyGCFields(object, attrs.old)) return;
  const ref = (object as RoleBinding).roleRef;
  if (ref?.kind !== "Role" && ref?.kind !== "ClusterRole") return; // validation refuses it with upstream's message
  if (
    authorize({
      ...resourceAttributes(user, "bind", roleResource(ref.kind), namespace, ref.name),
      apiGroup: ref.apiGroup,
    })
  )
    return;
  await confirmNoEscalation(check, await roleRules(reader, ref, namespace));
}

/** The plugin; `authorizer` is the apiserver's once security is configured (undefined: every request is allowed). */
export function rbacEscalationCheck(authorizer: () => Authorizer | undefined): AdmissionPlugin {
  return {
    name: "RBACEscalationPrevention",
    async admit(attrs, reader) {
      const { def, operation, object, user } = attrs;
      if (def.group !== rbacGroup || operation === "DELETE" || attrs.subresource || !object) return;
      const gate = authorizer();
      // without security nobody is anybody; without a user it is the apiserver's own write (bootstrap policy)
      if (!gate || !user || user.groups.includes(SystemMasters)) return;
      const authorize: Authorize = (request) => gate.authorize(request).allowed;
      const check: Check = { attrs, object, user, namespace: attrs.namespace ?? "", reader, authorize };
      if (def.plural === "roles" || def.plural === "clusterroles") await checkRole(check);
      else if (def.plural === "rolebindings" || def.plural === "clusterrolebindings") await checkBinding(check);
    },
  };
}
