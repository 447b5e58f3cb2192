// upstream's controller roles (bootstrappolicy/controller_policy.go): one ClusterRole system:controller:<name> per
// control loop, bound to the ServiceAccount kube-system/<name> that the loop's client authenticates as
// (kube-controller-manager --use-service-account-credentials, kubeadm's default). Only the loops stowage runs are
// kept, with upstream's rules; the snapshot controller's role is external-snapshotter's snapshot-controller-runner.
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from "../../api/rbac/types.js";
import { rbacGroup } from "../../api/rbac/types.js";

const core = "";
const apps = "apps";
const batch = "batch";
const storage = "storage.k8s.io";
const snapshot = "snapshot.storage.k8s.io";
const Read = ["get", "list", "watch"];

const rule = (verbs: string[], groups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups: groups,
  resources,
});
const eventsRule = rule(["create", "update", "patch"], [core, "events.k8s.io"], ["events"]);

/** The controller loops' ServiceAccount names (in kube-system) with their rules. */
export const controllerRules: Record<string, PolicyRule[]> = {
  "attachdetach-controller": [
    rule(["list", "watch"], [core], ["persistentvolumes", "persistentvolumeclaims"]),
    rule(Read, [core], ["nodes"]),
    rule(["patch", "update"], [core], ["nodes/status"]),
    rule(["list", "watch"], [core], ["pods"]),
    eventsRule,
    rule(["get", "create", "delete", "list", "watch"], [storage], ["volumeattachments"]),
    rule(Read, [storage], ["csidrivers"]),
    rule(Read, [storage], ["csinodes"]),
  ],
  // stowage's backup controller (Velero's server runs as cluster-admin): a backup reads every object of its
  // namespaces, Secrets included, and a restore creates them again; mover pods and snapshots move the data.
  "backup-controller": [
    rule(["*"], ["backup.stowage.dev"], ["backups", "restores", "schedules", "backupstoragelocations"]),
    rule(["update", "patch"], ["backup.stowage.dev"], ["backups/status", "restores/status", "schedules/status"]),
    rule([...Read, "create"], [core], ["namespaces"]),
    rule(
      [...Read, "create", "update", "patch", "delete"],
      [core],
      ["pods", "persistentvolumeclaims", "secrets", "configmaps", "serviceaccounts"],
    ),
    // backup hooks exec in pods: a websocket upgrade is a GET, authorized as create too (upstream since 1.30)
    rule(["get", "create"], [core], ["pods/exec"]),
    rule(Read, [core], ["persistentvolumes"]),
    rule([...Read, "create"], [apps], ["statefulsets", "deployments"]),
    rule([...Read, "create", "delete"], [snapshot], ["volumesnapshots"]),
    rule(Read, [snapshot], ["volumesnapshotclasses"]),
    eventsRule,
  ],
  "clusterrole-aggregation-controller": [
    rule(["escalate", "get", "list", "watch", "update", "patch"], [rbacGroup], ["clusterroles"]),
  ],
  "ephemeral-volume-controller": [
    rule(Read, [core], ["pods"]),
    rule(["update"], [core], ["pods/finalizers"]),
    rule([...Read, "create"], [core], ["persistentvolumeclaims"]),
    eventsRule,
  ],
  "expand-controller": [
    rule([...Read, "update", "patch"], [core], ["persistentvolumes"]),
    rule(["update", "patch"], [core], ["persistentvolumeclaims/status"]),
    rule(Read, [core], ["persistentvolumeclaims"]),
    eventsRule,
  ],
  "cronjob-controller": [
    rule([...Read, "update"], [batch], ["cronjobs"]),
    rule([...Read, "create", "update", "delete", "patch"], [batch], ["jobs"]),
    rule(["update"], [batch], ["cronjobs/status"]),
    rule(["update"], [batch], ["cronjobs/finalizers"]),
    rule(["list", "delete"], [core], ["pods"]),
    eventsRule,
  ],
  "daemon-set-controller": [
    rule(Read, ["extensions", apps], ["daemonsets"]),
    rule(["update"], ["extensions", apps], ["daemonsets/status"]),
    rule(["update"], ["extensions", apps], ["daemonsets/finalizers"]),
    rule(["list", "watch"], [core], ["nodes"]),
    rule(["list", "watch", "create", "delete", "patch"], [core], ["pods"]),
    rule(["create"], [core], ["pods/binding"]),
    rule([...Read, "create", "delete", "update", "patch"], [apps], ["controllerrevisions"]),
    eventsRule,
  ],
  "deployment-controller": [
    rule([...Read, "update"], ["extensions", apps], ["deployments"]),
    rule(["update"], ["extensions", apps], ["deployments/status"]),
    rule(["update"], ["extensions", apps], ["deployments/finalizers"]),
    rule([...Read, "create", "update", "patch", "delete"], [apps, "extensions"], ["replicasets"]),
    // upstream keeps "update" on pods for kubernetes/kubernetes#36897 (adopting pods by relabelling them).
    rule([...Read, "update"], [core], ["pods"]),
    eventsRule,
  ],
  "generic-garbage-collector": [rule([...Read, "patch", "update", "delete"], ["*"], ["*"]), eventsRule],
  "job-controller": [
    rule([...Read, "update", "patch"], [batch], ["jobs"]),
    rule(["update", "patch"], [batch], ["jobs/status"]),
    rule(["update"], [batch], ["jobs/finalizers"]),
    rule(["list", "watch", "create", "delete", "patch"], [core], ["pods"]),
    eventsRule,
  ],
  "node-controller": [
    rule([...Read, "update", "delete", "patch"], [core], ["nodes"]),
    rule(["patch", "update"], [core], ["nodes/status"]),
    rule(["patch", "update"], [core], ["pods/status"]),
    rule(["list", "watch", "get", "delete"], [core], ["pods"]),
    eventsRule,
  ],
  "persistent-volume-binder": [
    rule([...Read, "update", "create", "delete"], [core], ["persistentvolumes"]),
    rule(["update"], [core], ["persistentvolumes/status"]),
    rule([...Read, "update"], [core], ["persistentvolumeclaims"]),
    rule(["update"], [core], ["persistentvolumeclaims/status"]),
    rule(["list", "watch", "get", "create", "delete"], [core], ["pods"]),
    rule(Read, [storage], ["storageclasses"]),
    rule(["list", "watch"], [core], ["nodes"]),
    eventsRule,
    rule(["watch"], [core], ["events"]),
  ],
  "pv-protection-controller": [rule([...Read, "update"], [core], ["persistentvolumes"]), eventsRule],
  "pvc-protection-controller": [
    rule([...Read, "update"], [core], ["persistentvolumeclaims"]),
    rule(Read, [core], ["pods"]),
    eventsRule,
  ],
  "replicaset-controller": [
    rule([...Read, "update"], [apps, "extensions"], ["replicasets"]),
    rule(["update"], [apps, "extensions"], ["replicasets/status"]),
    rule(["update"], [apps, "extensions"], ["replicasets/finalizers"]),
    rule(["list", "watch", "patch", "create", "delete"], [core], ["pods"]),
    eventsRule,
  ],
  "service-account-controller": [rule(["create"], [core], ["serviceaccounts"]), eventsRule],
  "statefulset-controller": [
    rule(["list", "watch"], [core], ["pods"]),
    rule(Read, [apps], ["statefulsets"]),
    rule(["update"], [apps], ["statefulsets/status"]),
    rule(["update"], [apps], ["statefulsets/finalizers"]),
    rule(["get", "create", "delete", "update", "patch"], [core], ["pods"]),
    rule(["get", "create", "delete", "update", "patch", "list", "watch"], [apps], ["controllerrevisions"]),
    rule(["get", "create", "list", "watch"], [core], ["persistentvolumeclaims"]),
    rule(["update", "delete"], [core], ["persistentvolumeclaims"]),
    rule(["update"], [core], ["pods/finalizers"]),
    eventsRule,
  ],
  // external-snapshotter deploy/kubernetes/snapshot-controller/rbac-snapshot-controller.yaml
  "snapshot-controller": [
    rule(Read, [core], ["persistentvolumes"]),
    rule([...Read, "update"], [core], ["persistentvolumeclaims"]),
    rule(Read, [storage], ["storageclasses"]),
    rule(["list", "watch", "create", "update", "patch"], [core], ["events"]),
    rule(Read, [snapshot], ["volumesnapshotclasses"]),
    rule(["create", "get", "list", "watch", "update", "delete", "patch"], [snapshot], ["volumesnapshotcontents"]),
    rule(["patch"], [snapshot], ["volumesnapshotcontents/status"]),
    rule([...Read, "update", "patch", "delete"], [snapshot], ["volumesnapshots"]),
    rule(["update", "patch"], [snapshot], ["volumesnapshots/status"]),
  ],
  "ttl-after-finished-controller": [rule([...Read, "delete"], [batch], ["jobs"]), eventsRule],
};

/** The role of a loop: upstream's system:controller:<name>, or snapshot-controller-runner. */
export const controllerRoleName = (serviceAccount: string): string =>
  serviceAccount === "snapshot-controller" ? "snapshot-controller-runner" : `system:controller:${serviceAccount}`;

export function controllerRoles(meta: (name: string) => ClusterRole["metadata"]): ClusterRole[] {
  return Object.entries(controllerRules).map(([serviceAccount, rules]) => ({
    apiVersion: `${rbacGroup}/v1`,
    kind: "ClusterRole",
    metadata: meta(controllerRoleName(serviceAccount)),
    rules,
  }));
}

export function controllerRoleBindings(meta: (name: string) => ClusterRoleBinding["metadata"]): ClusterRoleBinding[] {
  return Object.keys(controllerRules).map((serviceAccount) => ({
    apiVersion: `${rbacGroup}/v1`,
    kind: "ClusterRoleBinding",
    metadata: meta(controllerRoleName(serviceAccount)),
    roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: controllerRoleName(serviceAccount) },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace: "kube-system" }],
  }));
}
