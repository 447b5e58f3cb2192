// The reach index must answer exactly as a scan of the candidates in order: the first open volume the node reaches.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { NodeSelectorTerm, PersistentVolume } from "../core/types.js";
import type { NodeLabels } from "../selectors/nodeselector.js";
import { checkNodeAffinity } from "./affinity.js";
import { ReachIndex } from "./reach.js";

const hosts = ["a", "b", "c"];
const zones = ["z1", "z2"];

function volume(name: string, terms: NodeSelectorTerm[] | undefined): PersistentVolume {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      ...(terms ? { nodeAffinity: { required: { nodeSelectorTerms: terms } } } : {}),
    },
  };
}

const requirement = fc.oneof(
  fc.record({
    key: fc.constant("kubernetes.io/hostname"),
    operator: fc.constantFrom("In", "NotIn"),
    values: fc.subarray(hosts),
  }),
  fc.record({
    key: fc.constant("zone"),
    operator: fc.constantFrom("In", "NotIn", "Exists"),
    values: fc.subarray(zones),
  }),
);
const affinity = fc.option(
  fc.array(fc.record({ matchExpressions: fc.array(requirement, { maxLength: 2 }) }), { maxLength: 2 }),
  {
    nil: undefined,
  },
);
const node = fc.record({
  name: fc.constantFrom(...hosts),
  labels: fc.record(
    { "kubernetes.io/hostname": fc.constantFrom(...hosts), zone: fc.constantFrom(...zones) },
    { requiredKeys: [] },
  ),
});

test("the reach index picks the same volume as scanning every candidate in order, for any affinities, node and exclusions", () => {
  fc.assert(
    fc.property(
      fc.array(affinity, { maxLength: 12 }),
      fc.option(node, { nil: undefined }),
      fc.array(fc.nat(12)),
      (terms, n, excludedAt) => {
        const volumes = terms.map((t, i) => volume(`pv-${i}`, t as NodeSelectorTerm[] | undefined));
        const excluded = new Set(excludedAt.map((i) => `pv-${i}`));
        const open = (v: PersistentVolume) => !excluded.has(v.metadata.name ?? "");
        const scan = volumes.find((v) => open(v) && (!n || checkNodeAffinity(v, n as NodeLabels)));
        assert.equal(
          new ReachIndex(volumes).first(n as NodeLabels | undefined, open)?.metadata.name,
          scan?.metadata.name,
        );
      },
    ),
    { seed: 20, numRuns: 2000 },
  );
});

test("with one local volume per node, each node gets its own volume and a node with none gets nothing", () => {
  const volumes = hosts.map((h) =>
    volume(`local-${h}`, [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [h] }] }]),
  );
  const index = new ReachIndex(volumes);
  const on = (name: string): NodeLabels => ({ name, labels: { "kubernetes.io/hostname": name } });
  assert.equal(index.first(on("b"), () => true)?.metadata.name, "local-b");
  assert.equal(
    index.first(on("elsewhere"), () => true),
    undefined,
  );
  assert.equal(
    index.first(on("b"), (v) => v.metadata.name !== "local-b"),
    undefined,
    "an excluded volume is not offered",
  );
});
