import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPatch } from "./index.js";

// The merge-key table (mergekeys.ts) per kind, as `kubectl patch` and controllers' status patches exercise it.
// Storage objects: most of their lists are atomic upstream (no patchStrategy), their maps merge.
const claimKind = { group: "", version: "v1", kind: "PersistentVolumeClaim" };
const claim = () => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data", namespace: "default", finalizers: ["kubernetes.io/pvc-protection"] },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "fast" },
  status: {
    phase: "Bound",
    conditions: [{ type: "Resizing", status: "True" }],
  },
});

const storageRows: {
  name: string;
  kind: { group: string; version: string; kind: string };
  original: object;
  patch: unknown;
  want: unknown;
}[] = [
  {
    name: "kubectl patch grows a claim's storage request",
    kind: claimKind,
    original: claim(),
    patch: { spec: { resources: { requests: { storage: "5Gi" } } } },
    want: { ...claim(), spec: { ...claim().spec, resources: { requests: { storage: "5Gi" } } } },
  },
  {
    name: "a claim's accessModes are replaced whole",
    kind: claimKind,
    original: claim(),
    patch: { spec: { accessModes: ["ReadWriteMany"] } },
    want: { ...claim(), spec: { ...claim().spec, accessModes: ["ReadWriteMany"] } },
  },
  {
    name: "a claim's status conditions merge by type",
    kind: claimKind,
    original: claim(),
    patch: { status: { conditions: [{ type: "FileSystemResizePending", status: "True" }] } },
    want: {
      ...claim(),
      status: {
        phase: "Bound",
        conditions: [
          { type: "FileSystemResizePending", status: "True" },
          { type: "Resizing", status: "True" },
        ],
      },
    },
  },
  {
    name: "a volume's accessModes are replaced whole and its claimRef merged",
    kind: { group: "", version: "v1", kind: "PersistentVolume" },
    original: {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "pv" },
      spec: { accessModes: ["ReadWriteOnce", "ReadOnlyMany"], claimRef: { name: "data", namespace: "default" } },
    },
    patch: { spec: { accessModes: ["ReadOnlyMany"], claimRef: { uid: "u1" } } },
    want: {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "pv" },
      spec: { accessModes: ["ReadOnlyMany"], claimRef: { name: "data", namespace: "default", uid: "u1" } },
    },
  },
  {
    name: "a node's conditions and addresses merge by type, podCIDRs as a set",
    kind: { group: "", version: "v1", kind: "Node" },
    original: {
      metadata: { name: "n1" },
      spec: { podCIDRs: ["10.0.0.0/24"] },
      status: {
        conditions: [
          { type: "Ready", status: "False" },
          { type: "DiskPressure", status: "False" },
        ],
        addresses: [{ type: "InternalIP", address: "10.0.0.1" }],
      },
    },
    patch: {
      spec: { podCIDRs: ["10.0.0.0/24", "fd00::/64"] },
      status: {
        conditions: [{ type: "Ready", status: "True" }],
        addresses: [{ type: "Hostname", address: "n1" }],
      },
    },
    want: {
      metadata: { name: "n1" },
      spec: { podCIDRs: ["10.0.0.0/24", "fd00::/64"] },
      status: {
        conditions: [
          { type: "Ready", status: "True" },
          { type: "DiskPressure", status: "False" },
        ],
        addresses: [
          { type: "Hostname", address: "n1" },
          { type: "InternalIP", address: "10.0.0.1" },
        ],
      },
    },
  },
  {
    name: "a CSINode's drivers merge by name",
    kind: { group: "storage.k8s.io", version: "v1", kind: "CSINode" },
    original: { metadata: { name: "n1" }, spec: { drivers: [{ name: "hostpath.csi.stowage.dev", nodeID: "n1" }] } },
    patch: { spec: { drivers: [{ name: "block.csi.stowage.dev", nodeID: "n1" }] } },
    want: {
      metadata: { name: "n1" },
      spec: {
        drivers: [
          { name: "block.csi.stowage.dev", nodeID: "n1" },
          { name: "hostpath.csi.stowage.dev", nodeID: "n1" },
        ],
      },
    },
  },
  {
    name: "a StatefulSet's template containers merge by name, its volumeClaimTemplates are replaced",
    kind: { group: "apps", version: "v1", kind: "StatefulSet" },
    original: {
      metadata: { name: "mysql" },
      spec: {
        replicas: 3,
        template: { spec: { containers: [{ name: "mysql", image: "mysql:8.0" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "1Gi" } } } }],
      },
    },
    patch: {
      spec: {
        template: { spec: { containers: [{ name: "mysql", image: "mysql:8.4" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "2Gi" } } } }],
      },
    },
    want: {
      metadata: { name: "mysql" },
      spec: {
        replicas: 3,
        template: { spec: { containers: [{ name: "mysql", image: "mysql:8.4" }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "2Gi" } } } }],
      },
    },
  },
  {
    name: "a StorageClass (no tagged fields of its own) merges its parameters and keeps metadata's rules",
    kind: { group: "storage.k8s.io", version: "v1", kind: "StorageClass" },
    original: { metadata: { name: "fast", finalizers: ["a"] }, provisioner: "p", parameters: { type: "ssd" } },
    patch: { metadata: { finalizers: ["b"] }, parameters: { fsType: "ext4" } },
    want: {
      metadata: { name: "fast", finalizers: ["b", "a"] },
      provisioner: "p",
      parameters: { type: "ssd", fsType: "ext4" },
    },
  },
];
for (const row of storageRows)
  test(`strategic merge patch: ${row.name}`, () =>
    assert.deepEqual(applyPatch("strategic", row.original, row.patch, row.kind), row.want));
