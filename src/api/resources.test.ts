// The served resources, as kubectl discovers them: groups, scope, short names and categories as upstream.
import assert from "node:assert/strict";
import test from "node:test";
import { findResource, findResourceByKind, resources } from "./resources.js";

const expected: [group: string, plural: string, kind: string, namespaced: boolean, shortNames: string[]][] = [
  ["", "namespaces", "Namespace", false, ["ns"]],
  ["", "persistentvolumes", "PersistentVolume", false, ["pv"]],
  ["", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"]],
  ["", "pods", "Pod", true, ["po"]],
  ["", "nodes", "Node", false, ["no"]],
  ["", "configmaps", "ConfigMap", true, ["cm"]],
  ["", "secrets", "Secret", true, []],
  ["", "serviceaccounts", "ServiceAccount", true, ["sa"]],
  ["", "events", "Event", true, ["ev"]],
  ["storage.k8s.io", "storageclasses", "StorageClass", false, ["sc"]],
  ["storage.k8s.io", "csidrivers", "CSIDriver", false, []],
  ["storage.k8s.io", "csinodes", "CSINode", false, []],
  ["storage.k8s.io", "volumeattachments", "VolumeAttachment", false, []],
  ["storage.k8s.io", "csistoragecapacities", "CSIStorageCapacity", true, []],
  ["snapshot.storage.k8s.io", "volumesnapshots", "VolumeSnapshot", true, ["vs"]],
  ["snapshot.storage.k8s.io", "volumesnapshotcontents", "VolumeSnapshotContent", false, ["vsc", "vscs"]],
  ["snapshot.storage.k8s.io", "volumesnapshotclasses", "VolumeSnapshotClass", false, ["vsclass", "vsclasses"]],
  ["apps", "statefulsets", "StatefulSet", true, ["sts"]],
  ["apps", "deployments", "Deployment", true, ["deploy"]],
  ["apps", "replicasets", "ReplicaSet", true, ["rs"]],
  ["apps", "daemonsets", "DaemonSet", true, ["ds"]],
  ["apps", "controllerrevisions", "ControllerRevision", true, []],
  ["batch", "jobs", "Job", true, []],
  ["batch", "cronjobs", "CronJob", true, ["cj"]],
  ["coordination.k8s.io", "leases", "Lease", true, []],
  ["rbac.authorization.k8s.io", "roles", "Role", true, []],
  ["rbac.authorization.k8s.io", "clusterroles", "ClusterRole", false, []],
  ["rbac.authorization.k8s.io", "rolebindings", "RoleBinding", true, []],
  ["rbac.authorization.k8s.io", "clusterrolebindings", "ClusterRoleBinding", false, []],
  ["backup.stowage.dev", "backupstoragelocations", "BackupStorageLocation", true, ["bsl"]],
  ["backup.stowage.dev", "backups", "Backup", true, []],
  ["backup.stowage.dev", "restores", "Restore", true, []],
  ["backup.stowage.dev", "schedules", "Schedule", true, []],
];

for (const [group, plural, kind, namespaced, shortNames] of expected) {
  test(`${plural}.${group || "core"} is served as ${kind}, ${namespaced ? "namespaced" : "cluster-scoped"}`, () => {
    const definition = findResource(group, "v1", plural);
    assert.ok(definition, `${plural} is served`);
    assert.equal(definition.kind, kind);
    assert.equal(definition.listKind, `${kind}List`);
    assert.equal(definition.namespaced, namespaced);
    assert.deepEqual(definition.shortNames, shortNames);
    assert.equal(definition.singular, kind.toLowerCase());
    assert.equal(findResourceByKind(group ? `${group}/v1` : "v1", kind), definition);
  });
}

test("exactly these resources are served, once each", () => {
  assert.equal(resources.length, expected.length);
  assert.equal(new Set(resources.map((r) => `${r.group}/${r.plural}`)).size, resources.length);
});

test("pods and the workloads are in the 'all' category, as kubectl get all expects", () => {
  assert.deepEqual(
    resources.filter((r) => r.categories?.includes("all")).map((r) => r.plural),
    ["pods", "statefulsets", "deployments", "replicasets", "daemonsets", "jobs", "cronjobs"],
  );
});

test("every table starts with a name column and its rows have one cell per column", () => {
  for (const definition of resources) {
    const columns = definition.table.columns;
    const nameIndex = definition.kind === "Event" ? columns.length - 1 : 0;
    assert.equal(columns[nameIndex].name, "Name", definition.kind);
    assert.equal(columns[nameIndex].format, "name", definition.kind);
    const object = {
      apiVersion: definition.group ? `${definition.group}/v1` : "v1",
      kind: definition.kind,
      metadata: {
        name: "x",
        namespace: definition.namespaced ? "default" : undefined,
        creationTimestamp: "2026-01-01T00:00:00Z",
      },
    };
    definition.applyDefaults(object);
    assert.equal(
      definition.table.row(object, new Date("2026-01-01T00:00:30Z")).length,
      columns.length,
      definition.kind,
    );
  }
});

test("an unknown resource is not served", () => assert.equal(findResource("", "v1", "services"), undefined));
