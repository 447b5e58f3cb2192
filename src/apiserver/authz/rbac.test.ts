// The RBAC authorizer on upstream's bootstrap policy: each row is a question `kubectl auth can-i --as …` asks,
// answered as a kube-apiserver with the same roles and bindings answers it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RoleBinding, ClusterRoleBinding } from "../../api/rbac/types.js";
import {
  AllAuthenticated,
  AllUnauthenticated,
  Anonymous,
  type RequestAttributes,
  type UserInfo,
} from "../../api/user.js";
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from "./bootstrap.js";
import { RbacPolicyCache } from "./policycache.js";
import { authorizeRbac, rulesFor } from "./rbac.js";

const policy = new RbacPolicyCache();
for (const role of bootstrapClusterRoles()) policy.apply("ClusterRole", "", role.metadata.name!, role);
for (const binding of bootstrapClusterRoleBindings())
  policy.apply("ClusterRoleBinding", "", binding.metadata.name!, binding);
const roleBinding = (name: string, clusterRole: string, subject: RoleBinding["subjects"]): RoleBinding => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name, namespace: "team" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
  subjects: subject,
});
const user = (name: string) => [{ kind: "User" as const, apiGroup: "rbac.authorization.k8s.io", name }];
policy.apply("RoleBinding", "team", "alice-admin", roleBinding("alice-admin", "admin", user("alice")));
policy.apply("RoleBinding", "team", "bob-edit", roleBinding("bob-edit", "edit", user("bob")));
policy.apply("RoleBinding", "team", "carol-view", roleBinding("carol-view", "view", user("carol")));
// a ServiceAccount subject without a namespace is the binding's own namespace's
policy.apply(
  "RoleBinding",
  "team",
  "builder",
  roleBinding("builder", "edit", [{ kind: "ServiceAccount", name: "builder" }]),
);
const backupBinding: ClusterRoleBinding = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  metadata: { name: "backup-reads-all" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
  subjects: [{ kind: "ServiceAccount", name: "backup", namespace: "ops" }],
};
policy.apply("ClusterRoleBinding", "", "backup-reads-all", backupBinding);

const who: Record<string, UserInfo> = {
  admin: { name: "kubernetes-admin", groups: ["system:masters", AllAuthenticated] },
  alice: { name: "alice", groups: [AllAuthenticated] },
  bob: { name: "bob", groups: ["developers", AllAuthenticated] },
  carol: { name: "carol", groups: [AllAuthenticated] },
  dave: { name: "dave", groups: [AllAuthenticated] },
  anonymous: { name: Anonymous, groups: [AllUnauthenticated] },
  "sa ops/backup": { name: "system:serviceaccount:ops:backup", groups: ["system:serviceaccounts", AllAuthenticated] },
  "sa team/builder": {
    name: "system:serviceaccount:team:builder",
    groups: ["system:serviceaccounts", AllAuthenticated],
  },
  "sa other/builder": {
    name: "system:serviceaccount:other:builder",
    groups: ["system:serviceaccounts", AllAuthenticated],
  },
  "controller-manager": { name: "system:kube-controller-manager", groups: [AllAuthenticated] },
  scheduler: { name: "system:kube-scheduler", groups: [AllAuthenticated] },
  "node n1": { name: "system:node:n1", groups: ["system:nodes", AllAuthenticated] },
};

type Row = [string, string, string, string, boolean]; // who, verb, resource[/sub] or path, namespace, allowed
const rows: Row[] = [
  ["admin", "delete", "persistentvolumes", "", true],
  ["admin", "create", "clusterrolebindings.rbac.authorization.k8s.io", "", true],
  ["admin", "get", "/healthz", "", true],
  ["admin", "list", "secrets", "kube-system", true],
  ["alice", "create", "rolebindings.rbac.authorization.k8s.io", "team", true],
  ["alice", "create", "rolebindings.rbac.authorization.k8s.io", "default", false],
  ["alice", "delete", "persistentvolumeclaims", "team", true],
  ["alice", "get", "secrets", "team", true],
  ["alice", "list", "persistentvolumes", "", false],
  ["alice", "create", "localsubjectaccessreviews.authorization.k8s.io", "team", true],
  ["bob", "create", "persistentvolumeclaims", "team", true],
  ["bob", "create", "secrets", "team", true],
  ["bob", "create", "pods/exec", "team", true],
  ["bob", "create", "rolebindings.rbac.authorization.k8s.io", "team", false],
  ["bob", "update", "persistentvolumeclaims/status", "team", false],
  ["bob", "patch", "statefulsets.apps", "team", true],
  ["bob", "create", "persistentvolumeclaims", "default", false],
  ["carol", "get", "persistentvolumeclaims", "team", true],
  ["carol", "watch", "pods", "team", true],
  ["carol", "get", "pods/log", "team", true],
  ["carol", "get", "secrets", "team", false],
  ["carol", "create", "pods/exec", "team", false],
  ["carol", "delete", "pods", "team", false],
  ["carol", "list", "statefulsets.apps", "team", true],
  ["carol", "list", "storageclasses.storage.k8s.io", "", false],
  ["dave", "list", "pods", "team", false],
  ["dave", "create", "selfsubjectaccessreviews.authorization.k8s.io", "", true],
  ["dave", "get", "/api", "", true],
  ["dave", "get", "/version", "", true],
  ["anonymous", "get", "/healthz", "", true],
  ["anonymous", "get", "/version", "", true],
  ["anonymous", "get", "/api", "", false],
  ["anonymous", "list", "persistentvolumes", "", false],
  ["sa ops/backup", "list", "persistentvolumeclaims", "team", true],
  ["sa ops/backup", "get", "secrets", "team", false],
  ["sa team/builder", "create", "pods", "team", true],
  ["sa other/builder", "create", "pods", "team", false],
  ["controller-manager", "watch", "persistentvolumes", "", true],
  ["controller-manager", "create", "events", "team", true],
  ["controller-manager", "get", "secrets", "team", true],
  ["controller-manager", "delete", "pods", "team", false],
  ["scheduler", "create", "pods/binding", "team", true],
  ["scheduler", "update", "persistentvolumeclaims", "team", true],
  ["scheduler", "list", "csistoragecapacities.storage.k8s.io", "", true],
  ["scheduler", "get", "secrets", "team", false],
  ["node n1", "get", "pods", "team", false], // nodes are the Node authorizer's, not RBAC's
];

function attributes([name, verb, target, namespace]: Row): RequestAttributes {
  const base = { user: who[name], verb, namespace, name: "", apiGroup: "", resource: "", subresource: "", path: "" };
  if (target.startsWith("/")) return { ...base, resourceRequest: false, path: target };
  const [resourceAndGroup, subresource = ""] = target.split("/");
  const dot = resourceAndGroup.indexOf(".");
  const resource = dot < 0 ? resourceAndGroup : resourceAndGroup.slice(0, dot);
  const apiGroup = dot < 0 ? "" : resourceAndGroup.slice(dot + 1);
  return { ...base, resourceRequest: true, resource, apiGroup, subresource };
}

for (const row of rows) {
  const [name, verb, target, namespace, allowed] = row;
  test(`${name} ${allowed ? "may" : "may not"} ${verb} ${target}${namespace ? ` in ${namespace}` : ""}`, () => {
    assert.equal(authorizeRbac(policy, attributes(row)).allowed, allowed);
  });
}

test("an allowed request says which binding allowed it, as upstream's RBAC authorizer", () => {
  const decision = authorizeRbac(policy, attributes(["carol", "get", "persistentvolumeclaims", "team", true]));
  assert.equal(decision.reason, 'RBAC: allowed by RoleBinding "carol-view/team" of ClusterRole "view" to User "carol"');
  const admin = authorizeRbac(policy, attributes(["admin", "get", "nodes", "", true]));
  assert.equal(
    admin.reason,
    'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
  );
});

test("a rule naming resources covers only requests for those names", () => {
  const manager = who["controller-manager"];
  const lease = (name: string) =>
    ({
      user: manager,
      verb: "update",
      resourceRequest: true,
      apiGroup: "coordination.k8s.io",
      resource: "leases",
      subresource: "",
      namespace: "kube-system",
      name,
      path: "",
    }) as RequestAttributes;
  assert.equal(authorizeRbac(policy, lease("kube-controller-manager")).allowed, true);
  assert.equal(authorizeRbac(policy, lease("kube-scheduler")).allowed, false);
});

test("the rules a user holds in a namespace are those of every binding that applies", () => {
  const rules = rulesFor(policy, who.carol, "team");
  assert.ok(rules.some((r) => r.resources?.includes("persistentvolumeclaims") && r.verbs.includes("list")));
  assert.ok(!rules.some((r) => r.resources?.includes("secrets")), "view holds no secrets");
});
