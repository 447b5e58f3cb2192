// Who may do what on a `stowage up` apiserver, asked as users ask it: `kubectl auth can-i … --as …` over HTTPS
// with the admin kubeconfig `up` wrote (system:masters may impersonate). Every row's answer is what upstream's
// bootstrap policy gives that identity (plugin/pkg/auth/authorizer/rbac/bootstrappolicy, the Node authorizer's
// rules, and the CSI sidecars' rbac.yaml), plus the RoleBindings the test makes in namespace `team`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startStowage } from "../e2e/stowage.js";

type Row = [who: string[], verb: string, resource: string, namespace: string, allowed: boolean];

const as = (user: string, ...groups: string[]) => [`--as=${user}`, ...groups.map((g) => `--as-group=${g}`)];
const sa = (namespace: string, name: string) => as(`system:serviceaccount:${namespace}:${name}`);
const node = (name: string) => as(`system:node:${name}`, "system:nodes");

const jane = as("jane");
const viewer = as("vic");
const editor = as("eddie");
const nsAdmin = as("ada");
const admin = as("root", "system:masters");

const rows: Row[] = [
  // any authenticated user: discovery, health, self reviews (system:discovery, system:basic-user, public-info-viewer)
  [jane, "get", "/healthz", "", true],
  [jane, "get", "/api", "", true],
  [jane, "create", "selfsubjectaccessreviews.authorization.k8s.io", "", true],
  [jane, "get", "pods", "default", false],
  [jane, "list", "persistentvolumes", "", false],
  // view in team: reads what does not escalate, never secrets, only in its namespace
  [viewer, "get", "pods", "team", true],
  [viewer, "list", "persistentvolumeclaims", "team", true],
  [viewer, "get", "secrets", "team", false],
  [viewer, "create", "pods", "team", false],
  [viewer, "get", "pods", "default", false],
  // edit in team: writes workloads, claims and secrets, not RBAC
  [editor, "create", "persistentvolumeclaims", "team", true],
  [editor, "delete", "pods", "team", true],
  [editor, "get", "secrets", "team", true],
  [editor, "create", "roles.rbac.authorization.k8s.io", "team", false],
  [editor, "list", "persistentvolumes", "", false],
  // admin in team: grants within the namespace, nothing cluster-wide
  [nsAdmin, "create", "rolebindings.rbac.authorization.k8s.io", "team", true],
  [nsAdmin, "create", "roles.rbac.authorization.k8s.io", "team", true],
  [nsAdmin, "delete", "namespaces", "", false],
  [nsAdmin, "create", "storageclasses.storage.k8s.io", "", false],
  // system:masters: everything
  [admin, "delete", "persistentvolumes", "", true],
  [admin, "*", "*", "", true],
  // system:kube-scheduler and system:volume-scheduler
  [as("system:kube-scheduler"), "create", "pods/binding", "default", true],
  [as("system:kube-scheduler"), "update", "persistentvolumeclaims", "default", true],
  [as("system:kube-scheduler"), "list", "csinodes.storage.k8s.io", "", true],
  [as("system:kube-scheduler"), "delete", "persistentvolumes", "", false],
  [as("system:kube-scheduler"), "get", "secrets", "default", false],
  // system:kube-controller-manager: lists everything for its informers, writes little itself
  [as("system:kube-controller-manager"), "list", "secrets", "", true],
  [as("system:kube-controller-manager"), "create", "serviceaccounts", "default", true],
  [as("system:kube-controller-manager"), "delete", "persistentvolumes", "", false],
  // the controller loops' ServiceAccounts (system:controller:<name>)
  [sa("kube-system", "persistent-volume-binder"), "create", "persistentvolumes", "", true],
  [sa("kube-system", "persistent-volume-binder"), "update", "persistentvolumeclaims/status", "default", true],
  [sa("kube-system", "persistent-volume-binder"), "delete", "volumeattachments.storage.k8s.io", "", false],
  [sa("kube-system", "attachdetach-controller"), "create", "volumeattachments.storage.k8s.io", "", true],
  [sa("kube-system", "attachdetach-controller"), "patch", "nodes/status", "", true],
  [sa("kube-system", "attachdetach-controller"), "delete", "persistentvolumes", "", false],
  [sa("kube-system", "expand-controller"), "patch", "persistentvolumeclaims/status", "default", true],
  [sa("kube-system", "pvc-protection-controller"), "update", "persistentvolumeclaims", "default", true],
  [sa("kube-system", "pvc-protection-controller"), "delete", "persistentvolumeclaims", "default", false],
  [sa("kube-system", "ephemeral-volume-controller"), "create", "persistentvolumeclaims", "default", true],
  [sa("kube-system", "ephemeral-volume-controller"), "delete", "persistentvolumeclaims", "default", false],
  // a namespace's default ServiceAccount has nothing but what every authenticated user has
  [sa("default", "default"), "get", "pods", "default", false],
  [sa("default", "default"), "create", "selfsubjectrulesreviews.authorization.k8s.io", "", true],
  // the CSI sidecars' ServiceAccounts, bound to their runner roles
  [sa("kube-system", "csi-provisioner"), "create", "persistentvolumes", "", true],
  [sa("kube-system", "csi-provisioner"), "create", "csistoragecapacities.storage.k8s.io", "kube-system", true],
  [sa("kube-system", "csi-provisioner"), "delete", "persistentvolumeclaims", "default", false],
  [sa("kube-system", "csi-attacher"), "patch", "volumeattachments.storage.k8s.io/status", "", true],
  [sa("kube-system", "csi-attacher"), "create", "volumeattachments.storage.k8s.io", "", false],
  [sa("kube-system", "csi-snapshotter"), "update", "volumesnapshotcontents.snapshot.storage.k8s.io", "", true],
  [sa("kube-system", "csi-snapshotter"), "delete", "volumesnapshots.snapshot.storage.k8s.io", "default", false],
  [sa("kube-system", "csi-external-health-monitor-controller"), "create", "events", "default", true],
  [sa("kube-system", "csi-external-health-monitor-controller"), "watch", "persistentvolumeclaims", "default", true],
  [sa("kube-system", "csi-external-health-monitor-controller"), "update", "persistentvolumes", "", false],
  // a node: upstream's node rules, its own Lease, nothing it has no pod for
  [node("n1"), "get", "nodes", "", true],
  [node("n1"), "create", "events", "default", true],
  [node("n1"), "list", "secrets", "default", false],
  [node("n1"), "get", "leases.coordination.k8s.io/n1", "kube-node-lease", true],
  [node("n1"), "update", "leases.coordination.k8s.io/n2", "kube-node-lease", false],
  [node("n1"), "get", "persistentvolumes/pv-elsewhere", "", false],
];

/** `kubectl auth can-i` arguments for a row: resource/name and subresources split as kubectl takes them. */
function canIArgs([who, verb, resource, namespace]: Row): string[] {
  const args = ["auth", "can-i", verb];
  if (resource.startsWith("/")) return [...args, resource, ...who];
  const [kind, ...rest] = resource.split("/");
  // pods/binding and nodes/status are subresources; leases…/n1 names an object
  const subresource = ["binding", "status"].includes(rest[0] ?? "") ? rest[0] : undefined;
  const name = subresource ? undefined : rest[0];
  args.push(name ? `${kind}/${name}` : kind);
  if (subresource) args.push(`--subresource=${subresource}`);
  if (namespace) args.push("-n", namespace);
  return [...args, ...who];
}

test(`kubectl auth can-i --as answers ${rows.length} identity × verb × resource × namespace rows as upstream's bootstrap policy`, async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  const apply = async (...args: string[]) => stowage.kubectl(...args);
  await apply("create", "namespace", "team");
  await apply("create", "rolebinding", "vic-view", "--clusterrole=view", "--user=vic", "-n", "team");
  await apply("create", "rolebinding", "eddie-edit", "--clusterrole=edit", "--user=eddie", "-n", "team");
  await apply("create", "rolebinding", "ada-admin", "--clusterrole=admin", "--user=ada", "-n", "team");

  const wrong: string[] = [];
  for (const row of rows) {
    const args = canIArgs(row);
    const result = await stowage.kubectlResult(args, { input: "" });
    // "no - <the authorizer's reason>" is still a no
    const answer = result.stdout.trim().split(" ")[0];
    const expected = row[4] ? "yes" : "no";
    // can-i exits 0 for yes and 1 for no; anything else (or no answer) is an error, not a "no"
    if (answer !== expected || result.code !== (row[4] ? 0 : 1)) {
      wrong.push(
        `kubectl ${args.join(" ")}: want ${expected}, got ${answer || "-"} (exit ${result.code}) ${result.stderr}`,
      );
    }
  }
  assert.deepEqual(wrong, [], "every row answers as upstream's policy");
  assert.ok(rows.length >= 40);
});
