// NodeVolumeLimits (CSI): per-driver counts from CSINode allocatable, volumes shared with pods already on the
// node counted once, as upstream's csi_test.go.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import type { CSINode } from "../api/storage/types.js";
import type { VolumeView } from "./volumebinding.js";
import { ErrReasonMaxVolumeCountExceeded, filterVolumeLimits, nodePodsOf } from "./volumelimits.js";

const driver = "block.csi.stowage.io";
const claims: PersistentVolumeClaim[] = ["a", "b", "c"].map((name) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: "default", annotations: { "pv.kubernetes.io/bind-completed": "yes" } },
  spec: { volumeName: `pv-${name}`, storageClassName: "block" },
}));
claims.push({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "new", namespace: "default" },
  spec: { storageClassName: "block" },
});
const volumes: PersistentVolume[] = ["a", "b", "c"].map((name) => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: `pv-${name}` },
  spec: { csi: { driver, volumeHandle: `vol-${name}` } },
}));
const view: VolumeView = {
  claim: (namespace, name) => claims.find((c) => c.metadata.name === name),
  volume: (name) => volumes.find((v) => v.metadata.name === name),
  volumesOfClass: () => [],
  storageClass: (name) =>
    name === "block"
      ? { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name }, provisioner: driver }
      : undefined,
  csiDriver: () => undefined,
  capacities: () => [],
  assumedClaimOf: () => undefined,
};
const pod = (name: string, ...claimNames: string[]): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: {
    containers: [{ name: "c", image: "busybox" }],
    volumes: claimNames.map((claimName) => ({ name: claimName, persistentVolumeClaim: { claimName } })),
  },
});
const csiNode = (count?: number): CSINode => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSINode",
  metadata: { name: "node-1" },
  spec: { drivers: [{ name: driver, nodeID: "node-1", allocatable: count === undefined ? undefined : { count } }] },
});

const cases = [
  { name: "under the limit fits", pod: pod("p", "a"), csiNode: csiNode(2), onNode: [pod("q", "b")], want: undefined },
  {
    name: "one more than the limit does not fit",
    pod: pod("p", "a"),
    csiNode: csiNode(2),
    onNode: [pod("q", "b"), pod("r", "c")],
    want: ErrReasonMaxVolumeCountExceeded,
  },
  {
    name: "a volume already used on the node is not counted twice",
    pod: pod("p", "b"),
    csiNode: csiNode(2),
    onNode: [pod("q", "b"), pod("r", "c")],
    want: undefined,
  },
  {
    name: "an unbound claim counts against its class's provisioner",
    pod: pod("p", "new"),
    csiNode: csiNode(1),
    onNode: [pod("q", "a")],
    want: ErrReasonMaxVolumeCountExceeded,
  },
  {
    name: "no allocatable count: no limit",
    pod: pod("p", "a"),
    csiNode: csiNode(),
    onNode: [pod("q", "b")],
    want: undefined,
  },
  { name: "no CSINode: no limit", pod: pod("p", "a"), csiNode: undefined, onNode: [pod("q", "b")], want: undefined },
];
for (const c of cases) {
  test(c.name, () =>
    assert.equal(filterVolumeLimits(view, c.pod, c.csiNode, nodePodsOf(c.onNode))?.reasons[0], c.want),
  );
}
