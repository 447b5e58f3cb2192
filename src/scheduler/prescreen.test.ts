// The nodes a pod's delayed claims could be satisfied on: named by free PVs' node affinity and by CSIStorageCapacity
// big enough, "any" where nothing rules a node out, and worked out again when nodes, classes or capacities change.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, PersistentVolume, PersistentVolumeClaim } from "../api/core/types.js";
import type { CSIDriver, CSIStorageCapacity, StorageClass } from "../api/storage/types.js";
import { NodeLabelIndex } from "./nodelabels.js";
import { VolumeNodeScreen, type ScreenView } from "./prescreen.js";
import type { PodClaims } from "./volumebinding.js";

const zone = "topology.example.com/zone";
const node = (name: string, z: string): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { [zone]: z, "kubernetes.io/hostname": name } },
});
const pv = (name: string, z?: string, className = "local"): PersistentVolume => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name },
  spec: {
    capacity: { storage: "10Gi" },
    accessModes: ["ReadWriteOnce"],
    storageClassName: className,
    ...(z
      ? {
          nodeAffinity: {
            required: { nodeSelectorTerms: [{ matchExpressions: [{ key: zone, operator: "In", values: [z] }] }] },
          },
        }
      : {}),
  },
  status: { phase: "Available" },
});
const claim = (name: string, className = "local", size = "5Gi"): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: "default" },
  spec: { accessModes: ["ReadWriteOnce"], storageClassName: className, resources: { requests: { storage: size } } },
});
const capacity = (name: string, z: string, size: string): CSIStorageCapacity => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIStorageCapacity",
  metadata: { name, namespace: "default" },
  storageClassName: "local",
  nodeTopology: { matchLabels: { [zone]: z } },
  capacity: size,
});

function world() {
  const labels = new NodeLabelIndex();
  for (const [name, z] of [
    ["n1", "a"],
    ["n2", "a"],
    ["n3", "b"],
    ["n4", "c"],
  ])
    labels.set(node(name, z));
  const state: State = {
    volumes: [],
    capacities: [],
    storageCapacity: true,
    provisioner: "csi.example.com",
    generation: 0,
  };
  const view = viewOf(state, labels);
  const screen = new VolumeNodeScreen(view);
  const nodesFor = (...claims: PersistentVolumeClaim[]) => {
    const found = screen.nodesFor({ bound: [], delayed: claims } satisfies PodClaims);
    return found === "any" ? found : [...found].sort();
  };
  return { state, labels, nodesFor };
}

interface State {
  volumes: PersistentVolume[];
  capacities: CSIStorageCapacity[];
  storageCapacity: boolean;
  provisioner: string;
  generation: number;
}

function viewOf(state: State, labels: NodeLabelIndex): ScreenView {
  return {
    nodeLabels: labels,
    claim: () => undefined,
    volume: (name) => state.volumes.find((v) => v.metadata.name === name),
    volumesOfClass: (className) => state.volumes.filter((v) => v.spec.storageClassName === className),
    storageClass: (name): StorageClass => ({
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name },
      provisioner: state.provisioner,
      volumeBindingMode: "WaitForFirstConsumer",
    }),
    csiDriver: (name): CSIDriver => ({
      apiVersion: "storage.k8s.io/v1",
      kind: "CSIDriver",
      metadata: { name },
      spec: { storageCapacity: state.storageCapacity },
    }),
    capacities: () => [],
    capacitiesOfClass: () => state.capacities,
    assumedClaimOf: () => undefined,
    topologyGeneration: () => labels.generation + state.generation,
  };
}

test("the nodes free PVs reach and the nodes with enough published capacity; nothing else", () => {
  const { state, nodesFor } = world();
  state.volumes = [pv("pv-a", "a"), pv("pv-small-b", "b")];
  state.volumes[1] = { ...state.volumes[1], spec: { ...state.volumes[1].spec, capacity: { storage: "1Gi" } } };
  state.capacities = [capacity("cap-c", "c", "20Gi"), capacity("cap-b", "b", "1Gi")];
  assert.deepEqual(nodesFor(claim("data")), ["n1", "n2", "n4"]);
});

test("a PV without node affinity, a driver without storage capacity or a zero request rule no node out", () => {
  const { state, nodesFor } = world();
  state.volumes = [pv("pv-a", "a"), pv("pv-anywhere")];
  assert.equal(nodesFor(claim("data")), "any");
  state.volumes = [pv("pv-a", "a")];
  state.storageCapacity = false;
  state.generation++;
  assert.equal(nodesFor(claim("data")), "any");
  state.storageCapacity = true;
  state.generation++;
  assert.equal(nodesFor(claim("zero", "local", "0")), "any");
});

test("a claim's selected node, a class that cannot provision, and several claims (every one must fit)", () => {
  const { state, nodesFor } = world();
  state.volumes = [pv("pv-a", "a"), pv("pv-b", "b"), pv("other-b", "b", "other")];
  const selected = claim("selected");
  selected.metadata.annotations = { "volume.kubernetes.io/selected-node": "n4" };
  assert.deepEqual(nodesFor(selected), ["n1", "n2", "n3", "n4"]);
  assert.deepEqual(nodesFor(claim("data"), claim("logs", "other")), ["n3"]);
  state.provisioner = "kubernetes.io/no-provisioner";
  state.generation++;
  assert.deepEqual(nodesFor(claim("data")), ["n1", "n2", "n3"]);
});

test("a new node, a relabelled node and a new capacity are seen at once", () => {
  const { state, labels, nodesFor } = world();
  state.volumes = [pv("pv-a", "a")];
  assert.deepEqual(nodesFor(claim("data")), ["n1", "n2"]);
  labels.set(node("n5", "a"));
  labels.set(node("n1", "b"));
  assert.deepEqual(nodesFor(claim("data")), ["n2", "n5"]);
  state.capacities = [capacity("cap-c", "c", "20Gi")];
  state.generation++;
  assert.deepEqual(nodesFor(claim("data")), ["n2", "n4", "n5"]);
  labels.delete("n5");
  assert.deepEqual(nodesFor(claim("data")), ["n2", "n4"]);
});

test("each node gets the free PVs that may reach it, in the claim's smallest-fit order, each once", () => {
  const { state, labels } = world();
  const twice = pv("pv-twice", "a");
  const terms = twice.spec.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  terms.push(terms[0], {
    matchExpressions: [],
    matchFields: [{ key: "metadata.name", operator: "In", values: ["n3"] }],
  });
  const large = { ...pv("pv-large", "a"), spec: { ...pv("pv-large", "a").spec, capacity: { storage: "20Gi" } } };
  state.volumes = [large, twice, pv("pv-b", "b")];
  const claims: PodClaims = { bound: [], delayed: [claim("data")] };
  assert.deepEqual([...(new VolumeNodeScreen(viewOf(state, labels)).nodesFor(claims) as Set<string>)].sort(), [
    "n1",
    "n2",
    "n3",
  ]);
  const byNode = claims.candidates?.get(claims.delayed[0])?.byNode;
  const names = (node: string) => (byNode?.get(node) ?? []).map((v) => v.metadata.name);
  assert.deepEqual(names("n1"), ["pv-twice", "pv-large"]);
  assert.deepEqual(names("n3"), ["pv-b", "pv-twice"]); // equal sizes: by name
  assert.deepEqual(names("n4"), []);
  // Only a one-requirement `In` affinity is exactly what the label index names; the rest are checked per node.
  const exact = claims.candidates?.get(claims.delayed[0])?.reachesListedNodes;
  assert.deepEqual([...(exact ?? [])].map((v) => v.metadata.name).sort(), ["pv-b", "pv-large"]);
});
