import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, Pod } from "../api/core/types.js";
import type { CSINode, CSIStorageCapacity, VolumeAttachment } from "../api/storage/types.js";
import { nodeSummary } from "./nodesummary.js";

const node = {
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "n1", labels: { "topology.stowage.dev/node": "n1" } },
  status: { conditions: [{ type: "Ready", status: "True" }], volumesInUse: ["kubernetes.io/csi/block^vol-2"] },
} as Node;
const attachment = (volume: string, nodeName: string, attached: boolean) =>
  ({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name: `csi-${volume}` },
    spec: { attacher: "block", nodeName, source: { persistentVolumeName: volume } },
    status: { attached },
  }) as VolumeAttachment;
const capacity = (cls: string, nodeLabel: string | undefined, size: string) =>
  ({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIStorageCapacity",
    metadata: { name: `${cls}-${nodeLabel}`, namespace: "kube-system" },
    storageClassName: cls,
    capacity: size,
    ...(nodeLabel ? { nodeTopology: { matchLabels: { "topology.stowage.dev/node": nodeLabel } } } : {}),
  }) as CSIStorageCapacity;
const csiNode = {
  apiVersion: "storage.k8s.io/v1",
  kind: "CSINode",
  metadata: { name: "n1" },
  spec: {
    drivers: [
      { name: "block", nodeID: "n1", allocatable: { count: 16 } },
      { name: "hostpath", nodeID: "n1" },
    ],
  },
} as CSINode;
const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "app", namespace: "default" },
  spec: { nodeName: "n1", containers: [], volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] },
  status: { phase: "Running" },
} as unknown as Pod;

test("a node's page: attached and mounted volumes, its pods' claims, capacity per class there, attach limits", () => {
  const summary = nodeSummary(
    node,
    [attachment("vol-2", "n1", true), attachment("vol-3", "n2", true)],
    csiNode,
    [capacity("block", "n1", "10Gi"), capacity("block", "n2", "99Gi"), capacity("standard", undefined, "50Gi")],
    [pod],
  );
  assert.equal(summary.ready, true);
  assert.deepEqual(
    summary.attachments.map((a) => a.volume),
    ["vol-2"],
  );
  assert.deepEqual(summary.inUse, ["kubernetes.io/csi/block^vol-2"]);
  assert.deepEqual(summary.pods, [{ namespace: "default", name: "app", phase: "Running", claims: ["data"] }]);
  assert.deepEqual(
    summary.capacity.map((c) => `${c.storageClass}=${c.capacity}`),
    ["block=10Gi", "standard=50Gi"],
  );
  assert.deepEqual(summary.limits, [
    { driver: "block", limit: 16, attached: 1 },
    { driver: "hostpath", attached: 0 },
  ]);
});
