// The FailedScheduling message byte for byte as kube-scheduler 1.32 prints it (FitError.Error + DefaultPreemption).
import assert from "node:assert/strict";
import { test } from "node:test";
import { fitErrorMessage } from "./fiterror.js";
import type { FilterStatus } from "./filters.js";

interface Case {
  name: string;
  args: [number, string | undefined, FilterStatus[]];
  want: string;
}

const cases: Case[] = [
  {
    name: "reasons are counted per node and sorted as '<count> <reason>' strings",
    args: [
      3,
      undefined,
      [
        { reasons: ["node(s) didn't find available persistent volumes to bind"] },
        { reasons: ["node(s) had volume node affinity conflict"] },
        { reasons: ["node(s) didn't find available persistent volumes to bind"] },
      ],
    ],
    want:
      "0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't find available " +
      "persistent volumes to bind. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  },
  {
    name: "a PreFilter rejection replaces the per-node reasons",
    args: [1, "pod has unbound immediate PersistentVolumeClaims", []],
    want:
      "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are " +
      "available: 1 Preemption is not helpful for scheduling.",
  },
  {
    name: "resolvable reasons (volume limits) find no preemption victims",
    args: [
      3,
      undefined,
      [
        { reasons: ["node(s) exceed max volume count"], resolvable: true },
        { reasons: ["node(s) exceed max volume count"], resolvable: true },
        { reasons: ["node(s) had untolerated taint {dedicated: db}"] },
      ],
    ],
    want:
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) exceed max volume count. " +
      "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims " +
      "found for incoming pod.",
  },
];
for (const c of cases) {
  test(c.name, () => assert.equal(fitErrorMessage(...c.args), c.want));
}
