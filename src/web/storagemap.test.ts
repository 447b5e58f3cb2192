import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event, Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import type { StorageClass, VolumeAttachment } from "../api/storage/types.js";
import { storageMap, type MapFilter, type MapObjects } from "./storagemap.js";

const sc = (name: string): StorageClass =>
  ({ apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name }, provisioner: "p" }) as StorageClass;
const claim = (name: string, phase: string, volumeName?: string, namespace = "default", cls = "standard") =>
  ({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace },
    spec: { storageClassName: cls, volumeName, accessModes: ["ReadWriteOnce"], resources: {} },
    status: { phase },
  }) as PersistentVolumeClaim;
const volume = (name: string, phase: string, cls = "standard") =>
  ({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: { storageClassName: cls },
    status: { phase },
  }) as PersistentVolume;
const attachment = (pv: string, node: string, attached: boolean, error?: string) =>
  ({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name: `csi-${pv}` },
    spec: { attacher: "a", nodeName: node, source: { persistentVolumeName: pv } },
    status: { attached, ...(error ? { attachError: { message: error } } : {}) },
  }) as VolumeAttachment;
const node = (name: string) =>
  ({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name },
    status: { conditions: [{ type: "Ready", status: "True" }] },
  }) as Node;
const pod = (name: string, claimName: string, nodeName?: string, phase = "Running", namespace = "default") =>
  ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { nodeName, containers: [], volumes: [{ name: "data", persistentVolumeClaim: { claimName } }] },
    status: { phase },
  }) as unknown as Pod;
const warning = (kind: string, name: string, message: string, at: string, type = "Warning") =>
  ({
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${name}.${at}`, namespace: "default" },
    involvedObject: { kind, name, namespace: kind === "PersistentVolume" ? undefined : "default" },
    type,
    message,
    lastTimestamp: at,
  }) as Event;

const world = (extra: Partial<MapObjects> = {}): MapObjects => ({
  classes: [sc("standard"), sc("block")],
  claims: [claim("data", "Bound", "pvc-1"), claim("waiting", "Pending"), claim("logs", "Bound", "pvc-2", "team")],
  volumes: [volume("pvc-1", "Bound"), volume("pvc-2", "Bound", "block"), volume("spare", "Available")],
  attachments: [attachment("pvc-2", "n2", true)],
  nodes: [node("n1"), node("n2")],
  pods: [pod("app", "data", "n1"), pod("writer", "logs", "n2", "Running", "team")],
  events: [
    warning(
      "PersistentVolumeClaim",
      "waiting",
      "waiting for first consumer to be created before binding",
      "2026-01-01T00:00:01Z",
    ),
  ],
  ...extra,
});

const ids = (map: ReturnType<typeof storageMap>) =>
  Object.values(map.columns)
    .flat()
    .map((i) => i.id)
    .sort();

test("a claim's chain is drawn: class → claim → volume → node → pod, with the volume linked to the node mounting it", () => {
  const map = storageMap(world(), { namespace: "default", state: "Running" });
  assert.deepEqual(ids(map), [
    "Node/n1",
    "PersistentVolume/pvc-1",
    "PersistentVolumeClaim/default/data",
    "Pod/default/app",
    "StorageClass/standard",
  ]);
  assert.deepEqual(
    map.edges.map((e) => `${e.from} -> ${e.to}`),
    [
      "StorageClass/standard -> PersistentVolumeClaim/default/data",
      "PersistentVolumeClaim/default/data -> PersistentVolume/pvc-1",
      "PersistentVolumeClaim/default/data -> Pod/default/app",
      "Node/n1 -> Pod/default/app",
      "PersistentVolume/pvc-1 -> Node/n1",
    ],
  );
});

test("an attached volume goes through its VolumeAttachment to the node", () => {
  const map = storageMap(world(), { namespace: "team" });
  const edges = map.edges.map((e) => `${e.from} -> ${e.to}`);
  assert.ok(edges.includes("PersistentVolume/pvc-2 -> VolumeAttachment/csi-pvc-2"));
  assert.ok(edges.includes("VolumeAttachment/csi-pvc-2 -> Node/n2"));
  assert.ok(!edges.includes("PersistentVolume/pvc-2 -> Node/n2"), "no shortcut past the attachment");
});

const filters: Array<{ name: string; filter: MapFilter; claims: string[] }> = [
  { name: "no filter shows every claim", filter: {}, claims: ["data", "logs", "waiting"] },
  { name: "a namespace shows its claims only", filter: { namespace: "team" }, claims: ["logs"] },
  { name: "a class shows its claims only", filter: { storageClass: "block" }, claims: [] },
  { name: "a node shows the claims mounted or attached there", filter: { node: "n2" }, claims: ["logs"] },
  { name: "a state shows chains with an object in it", filter: { state: "Pending" }, claims: ["waiting"] },
  { name: "stuck shows chains with a stuck object", filter: { state: "stuck" }, claims: ["waiting"] },
];
for (const c of filters) {
  test(`filter: ${c.name}`, () => {
    const map = storageMap(world(), c.filter);
    assert.deepEqual(map.columns.PersistentVolumeClaim.map((i) => i.name).sort(), c.claims);
  });
}

test("a waiting object is stuck with its latest warning; a settled one never is", () => {
  const map = storageMap(
    world({
      events: [
        warning("PersistentVolumeClaim", "waiting", "old news", "2026-01-01T00:00:01Z"),
        warning(
          "PersistentVolumeClaim",
          "waiting",
          'storageclass.storage.k8s.io "x" not found',
          "2026-01-01T00:00:05Z",
        ),
        warning("PersistentVolumeClaim", "data", "a warning before it bound", "2026-01-01T00:00:05Z"),
      ],
    }),
  );
  const claims = Object.fromEntries(map.columns.PersistentVolumeClaim.map((i) => [i.name, i.stuck]));
  assert.equal(claims.waiting, 'storageclass.storage.k8s.io "x" not found');
  assert.equal(claims.data, undefined);
});

test("a later Normal event means the claim is no longer stuck on an older warning", () => {
  const map = storageMap(
    world({
      events: [
        warning("PersistentVolumeClaim", "waiting", "failed", "2026-01-01T00:00:01Z"),
        warning("PersistentVolumeClaim", "waiting", "provisioning", "2026-01-01T00:00:02Z", "Normal"),
      ],
    }),
  );
  assert.equal(map.columns.PersistentVolumeClaim.find((i) => i.name === "waiting")?.stuck, undefined);
});

test("an attachment that failed is stuck with its attach error", () => {
  const map = storageMap(world({ attachments: [attachment("pvc-2", "n2", false, "rpc error: code = NotFound")] }));
  assert.equal(map.columns.VolumeAttachment[0].stuck, "rpc error: code = NotFound");
});
