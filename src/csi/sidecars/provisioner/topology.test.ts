// Topology requirements and node affinity as external-provisioner's topology.go builds them.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node } from "../../../api/core/types.js";
import type { CSINode } from "../../../api/storage/types.js";
import { accessibilityRequirements, flatten, volumeNodeAffinity, type TopologyInputs } from "./topology.js";

const driverName = "d";
const zoneKey = "topology.example.com/zone";
const node = (name: string, zone: string): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { [zoneKey]: zone } },
});
const csiNode = (name: string, keys: string[] = [zoneKey]): CSINode => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSINode",
  metadata: { name },
  spec: { drivers: [{ name: driverName, nodeID: name, topologyKeys: keys }] },
});
const lister = <T extends { metadata: { name?: string } }>(items: T[]) => ({
  get: (name: string) => items.find((i) => i.metadata.name === name),
  list: () => items,
});
const inputs = (extra: Partial<TopologyInputs>): TopologyInputs => ({
  driverName,
  claimName: "data",
  csiNodes: lister([csiNode("a"), csiNode("b")]),
  nodes: lister([node("a", "z1"), node("b", "z2")]),
  ...extra,
});
const zones = (topologies: Array<{ segments?: Record<string, string> | null }> | undefined) =>
  (topologies ?? []).map((t) => t.segments?.[zoneKey]);

test("allowedTopologies distribute each value list over the AND", () => {
  assert.deepEqual(
    flatten([
      {
        matchLabelExpressions: [
          { key: "zone", values: ["z1", "z2"] },
          { key: "rack", values: ["r1"] },
        ],
      },
    ]),
    [
      [
        ["rack", "r1"],
        ["zone", "z1"],
      ],
      [
        ["rack", "r1"],
        ["zone", "z2"],
      ],
    ],
  );
});

test("Immediate without allowedTopologies: requisite is every zone the driver's nodes report", () => {
  const requirement = accessibilityRequirements(inputs({}));
  assert.deepEqual(zones(requirement?.requisite).sort(), ["z1", "z2"]);
  assert.equal(requirement?.preferred?.length, 2);
});

test("Immediate with allowedTopologies: requisite is exactly the allowed zones", () => {
  const requirement = accessibilityRequirements(
    inputs({ allowedTopologies: [{ matchLabelExpressions: [{ key: zoneKey, values: ["z9"] }] }] }),
  );
  assert.deepEqual(zones(requirement?.requisite), ["z9"]);
});

test("no node reports topology for the driver: no requirement", () => {
  assert.equal(accessibilityRequirements(inputs({ csiNodes: lister([]) })), undefined);
});

test("WaitForFirstConsumer: the selected node's zone is preferred first", () => {
  const requirement = accessibilityRequirements(inputs({ selectedNode: "b" }));
  assert.deepEqual(zones(requirement?.preferred), ["z2", "z1"]);
  assert.deepEqual(zones(requirement?.requisite), ["z1", "z2"]);
});

test("WaitForFirstConsumer with strict topology: only the selected node's zone", () => {
  const requirement = accessibilityRequirements(inputs({ selectedNode: "b", strictTopology: true }));
  assert.deepEqual(zones(requirement?.requisite), ["z2"]);
});

test("a selected node without a CSINode asks the scheduler to pick again", () => {
  assert.throws(
    () => accessibilityRequirements(inputs({ selectedNode: "c" })),
    (err: Error & { reschedule?: boolean }) => err.reschedule === true && /CSINode c/.test(err.message),
  );
});

test("node affinity has one term per accessible segment", () => {
  assert.deepEqual(volumeNodeAffinity([{ segments: { [zoneKey]: "z1" } }, { segments: { [zoneKey]: "z2" } }]), {
    required: {
      nodeSelectorTerms: [
        { matchExpressions: [{ key: zoneKey, operator: "In", values: ["z1"] }] },
        { matchExpressions: [{ key: zoneKey, operator: "In", values: ["z2"] }] },
      ],
    },
  });
  assert.equal(volumeNodeAffinity([]), undefined);
});
