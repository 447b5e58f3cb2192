// Rows from upstream's ComputeZoneState, GetZoneKey and handleDisruption behaviour.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, NodeCondition } from "../../api/core/types.js";
import { computeZoneState, disruptionTransition, zoneKey, zoneQPS, type ZoneState } from "./zones.js";

const node = (labels: Record<string, string> = {}): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "n", labels },
  spec: {},
});
const ready = (status: NodeCondition["status"]): NodeCondition => ({ type: "Ready", status });
const zoneCases = [
  { name: "all Ready is normal", conditions: [ready("True"), ready("True")], want: "Normal" },
  { name: "no Ready node is a full disruption", conditions: [ready("Unknown")], want: "FullDisruption" },
  { name: "one of two down is normal", conditions: [ready("True"), ready("Unknown")], want: "Normal" },
  {
    name: "three of four down is a partial disruption",
    conditions: [ready("True"), ready("Unknown"), ready("False"), undefined],
    want: "PartialDisruption",
  },
  {
    name: "two of three down is normal (more than two must be down)",
    conditions: [ready("True"), ready("Unknown"), ready("Unknown")],
    want: "Normal",
  },
];
for (const c of zoneCases) {
  test(`zone state: ${c.name}`, () => assert.equal(computeZoneState(c.conditions, 0.55).state, c.want));
}

test("the zone key joins region and zone, and is empty for nodes with neither", () => {
  assert.equal(zoneKey(node()), "");
  assert.equal(zoneKey(node({ "topology.kubernetes.io/region": "r", "topology.kubernetes.io/zone": "z" })), "r:\x00:z");
});

const states = (entries: Record<string, ZoneState>) => new Map(Object.entries(entries));
const transitionCases = [
  {
    name: "the only zone losing its last Ready node enters full disruption",
    previous: { a: "Normal" },
    next: { a: "FullDisruption" },
    want: { kind: "enterFullDisruption" },
  },
  {
    name: "staying fully disrupted does nothing more",
    previous: { a: "FullDisruption" },
    next: { a: "FullDisruption" },
    want: { kind: "none" },
  },
  {
    name: "a Ready node after a full disruption leaves it, every zone taking its new state",
    previous: { a: "FullDisruption", b: "FullDisruption" },
    next: { a: "Normal", b: "FullDisruption" },
    want: { kind: "leaveFullDisruption", states: { a: "Normal", b: "FullDisruption" } },
  },
  {
    name: "one zone fully disrupted while another is fine is a plain update (NoExecute tainting goes on)",
    previous: { a: "Normal", b: "Normal" },
    next: { a: "FullDisruption", b: "Normal" },
    want: { kind: "update", states: { a: "FullDisruption" } },
  },
  {
    name: "a zone seen for the first time starts Initial and becomes Normal",
    previous: {},
    next: { a: "Normal" },
    want: { kind: "update", states: { a: "Normal" } },
  },
] as const;
for (const c of transitionCases) {
  test(`disruption: ${c.name}`, () => {
    const action = disruptionTransition(states(c.previous), states(c.next));
    const shown = "states" in action ? { kind: action.kind, states: Object.fromEntries(action.states) } : action;
    assert.deepEqual(shown, c.want);
  });
}

test("NoExecute tainting slows down in a partially disrupted large zone and stops in a small one", () => {
  const rates = { evictionLimiterQPS: 0.1, secondaryEvictionLimiterQPS: 0.01, largeClusterThreshold: 50 };
  assert.deepEqual(
    [zoneQPS("Normal", 3, rates), zoneQPS("PartialDisruption", 51, rates), zoneQPS("PartialDisruption", 50, rates)],
    [0.1, 0.01, 0],
  );
});
