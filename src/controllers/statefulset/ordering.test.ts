import assert from "node:assert/strict";
import { test } from "node:test";
import type { PodManagementPolicyType } from "../../api/apps/types.js";
import type { Decision, PodState } from "./ordering.js";
import { decide, readyForUpdate, rollingUpdateStep } from "./ordering.js";

type Existing = Exclude<PodState, "Missing">;
const pods = (...states: [number, Existing][]) => new Map(states);

const cases: {
  name: string;
  policy: PodManagementPolicyType;
  replicas: number;
  pods: Map<number, Existing>;
  want: Decision;
}[] = [
  {
    name: "OrderedReady creates ordinal 0 first",
    policy: "OrderedReady",
    replicas: 3,
    pods: pods(),
    want: { create: [0], delete: [] },
  },
  {
    name: "OrderedReady waits while ordinal 0 is not Running and Ready",
    policy: "OrderedReady",
    replicas: 3,
    pods: pods([0, "Pending"]),
    want: { create: [], delete: [] },
  },
  {
    name: "OrderedReady creates ordinal 1 once 0 is Running and Ready",
    policy: "OrderedReady",
    replicas: 3,
    pods: pods([0, "RunningReady"]),
    want: { create: [1], delete: [] },
  },
  {
    name: "OrderedReady recreates a deleted middle pod",
    policy: "OrderedReady",
    replicas: 3,
    pods: pods([0, "RunningReady"], [2, "RunningReady"]),
    want: { create: [1], delete: [] },
  },
  {
    name: "Parallel creates every missing ordinal at once",
    policy: "Parallel",
    replicas: 3,
    pods: pods([1, "Pending"]),
    want: { create: [0, 2], delete: [] },
  },
  {
    name: "a failed pod is deleted to be recreated",
    policy: "OrderedReady",
    replicas: 2,
    pods: pods([0, "Failed"], [1, "RunningReady"]),
    want: { create: [], delete: [0] },
  },
  {
    name: "OrderedReady scales down the highest ordinal first, one at a time",
    policy: "OrderedReady",
    replicas: 1,
    pods: pods([0, "RunningReady"], [1, "RunningReady"], [2, "RunningReady"]),
    want: { create: [], delete: [2] },
  },
  {
    name: "OrderedReady waits for a terminating condemned pod before the next",
    policy: "OrderedReady",
    replicas: 1,
    pods: pods([0, "RunningReady"], [1, "RunningReady"], [2, "Terminating"]),
    want: { create: [], delete: [] },
  },
  {
    name: "OrderedReady does not scale down while a kept pod is not ready",
    policy: "OrderedReady",
    replicas: 1,
    pods: pods([0, "Pending"], [1, "RunningReady"]),
    want: { create: [], delete: [] },
  },
  {
    name: "Parallel deletes every condemned pod at once",
    policy: "Parallel",
    replicas: 1,
    pods: pods([0, "RunningReady"], [1, "Pending"], [2, "RunningReady"]),
    want: { create: [], delete: [2, 1] },
  },
  {
    name: "scale to zero deletes the last pod",
    policy: "OrderedReady",
    replicas: 0,
    pods: pods([0, "RunningReady"]),
    want: { create: [], delete: [0] },
  },
];

for (const c of cases) test(c.name, () => assert.deepEqual(decide(c.policy, 0, c.replicas, c.pods), c.want));

type Updating = { state: Existing; updated: boolean };
const at = (...pods: [number, Existing, boolean][]) =>
  new Map<number, Updating>(pods.map(([ordinal, state, updated]) => [ordinal, { state, updated }]));
const rolling: { name: string; partition: number; pods: Map<number, Updating>; want: { delete?: number } }[] = [
  {
    name: "a rolling update deletes the highest ordinal not at the update revision first",
    partition: 0,
    pods: at([0, "RunningReady", false], [1, "RunningReady", false], [2, "RunningReady", false]),
    want: { delete: 2 },
  },
  {
    name: "a rolling update moves down once the pod above is updated, Running and Ready",
    partition: 0,
    pods: at([0, "RunningReady", false], [1, "RunningReady", false], [2, "RunningReady", true]),
    want: { delete: 1 },
  },
  {
    name: "a rolling update waits while an updated pod is not yet Ready",
    partition: 0,
    pods: at([0, "RunningReady", false], [1, "RunningReady", false], [2, "Pending", true]),
    want: {},
  },
  {
    name: "a rolling update waits while the pod it deleted is terminating",
    partition: 0,
    pods: at([0, "RunningReady", false], [1, "RunningReady", false], [2, "Terminating", false]),
    want: {},
  },
  {
    name: "a partition keeps ordinals below it at their revision",
    partition: 2,
    pods: at([0, "RunningReady", false], [1, "RunningReady", false], [2, "RunningReady", true]),
    want: {},
  },
  {
    name: "a partition above the replicas updates nothing",
    partition: 5,
    pods: at([0, "RunningReady", false], [1, "RunningReady", false], [2, "RunningReady", false]),
    want: {},
  },
  {
    name: "nothing to do once every pod is updated",
    partition: 0,
    pods: at([0, "RunningReady", true], [1, "RunningReady", true], [2, "RunningReady", true]),
    want: {},
  },
];
for (const c of rolling) test(c.name, () => assert.deepEqual(rollingUpdateStep(0, 3, c.partition, c.pods), c.want));

const gates: { name: string; policy: PodManagementPolicyType; pods: Map<number, Existing>; want: boolean }[] = [
  {
    name: "OrderedReady updates only when every pod is Running and Ready",
    policy: "OrderedReady",
    pods: pods([0, "RunningReady"], [1, "RunningReady"], [2, "RunningReady"]),
    want: true,
  },
  {
    name: "OrderedReady does not update past a lower pod that is not Ready",
    policy: "OrderedReady",
    pods: pods([0, "Pending"], [1, "RunningReady"], [2, "RunningReady"]),
    want: false,
  },
  {
    name: "OrderedReady does not update while a condemned pod remains",
    policy: "OrderedReady",
    pods: pods([0, "RunningReady"], [1, "RunningReady"], [2, "RunningReady"], [3, "Terminating"]),
    want: false,
  },
  {
    name: "Parallel leaves the waiting to the update step",
    policy: "Parallel",
    pods: pods([0, "Pending"], [1, "RunningReady"], [2, "RunningReady"]),
    want: true,
  },
];
for (const c of gates) test(c.name, () => assert.equal(readyForUpdate(c.policy, 0, 3, c.pods), c.want));
