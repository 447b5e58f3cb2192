// Rows from upstream's doNoScheduleTaintingPass and SwapNodeControllerTaint behaviour.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, NodeCondition, Taint } from "../../api/core/types.js";
import { noScheduleTaintChanges, swapTaints } from "./taints.js";

const node = (conditions: [string, NodeCondition["status"]][], taints: Taint[] = [], unschedulable = false): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "n" },
  spec: { taints, unschedulable },
  status: { conditions: conditions.map(([type, status]) => ({ type, status })) },
});
const keys = (taints: Taint[]) => taints.map((t) => `${t.key}:${t.effect}`);

const noScheduleCases = [
  { name: "a Ready node gets no taint", node: node([["Ready", "True"]]), add: [], remove: [] },
  {
    name: "Ready Unknown taints unreachable:NoSchedule",
    node: node([["Ready", "Unknown"]]),
    add: ["node.kubernetes.io/unreachable:NoSchedule"],
    remove: [],
  },
  {
    name: "Ready False taints not-ready:NoSchedule",
    node: node([["Ready", "False"]]),
    add: ["node.kubernetes.io/not-ready:NoSchedule"],
    remove: [],
  },
  {
    name: "a Ready node loses the unreachable taint it had",
    node: node([["Ready", "True"]], [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }]),
    add: [],
    remove: ["node.kubernetes.io/unreachable:NoSchedule"],
  },
  {
    name: "pressure conditions taint their own keys",
    node: node([
      ["Ready", "True"],
      ["DiskPressure", "True"],
      ["MemoryPressure", "False"],
    ]),
    add: ["node.kubernetes.io/disk-pressure:NoSchedule"],
    remove: [],
  },
  {
    name: "a cordoned node is tainted unschedulable",
    node: node([["Ready", "True"]], [], true),
    add: ["node.kubernetes.io/unschedulable:NoSchedule"],
    remove: [],
  },
  {
    name: "taints of other keys or effects are never touched",
    node: node(
      [["Ready", "True"]],
      [
        { key: "dedicated", value: "db", effect: "NoSchedule" },
        { key: "node.kubernetes.io/unreachable", effect: "NoExecute" },
      ],
    ),
    add: [],
    remove: [],
  },
];
for (const c of noScheduleCases) {
  test(`NoSchedule taints: ${c.name}`, () => {
    const { add, remove } = noScheduleTaintChanges(c.node);
    assert.deepEqual([keys(add), keys(remove)], [c.add, c.remove]);
  });
}

test("swapping taints stamps the added ones and keeps the rest in order", () => {
  const n = node(
    [],
    [
      { key: "dedicated", value: "db", effect: "NoSchedule" },
      { key: "node.kubernetes.io/not-ready", effect: "NoExecute" },
    ],
  );
  const taints = swapTaints(
    n,
    [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }],
    [{ key: "node.kubernetes.io/not-ready", effect: "NoExecute" }],
    "2026-01-01T00:00:00Z",
  );
  assert.deepEqual(taints, [
    { key: "dedicated", value: "db", effect: "NoSchedule" },
    { key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "2026-01-01T00:00:00Z" },
  ]);
});

test("swapping taints that are already as wanted changes nothing", () => {
  const n = node([], [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute", timeAdded: "x" }]);
  assert.equal(
    swapTaints(
      n,
      [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }],
      [{ key: "other", effect: "NoExecute" }],
      "y",
    ),
    undefined,
  );
});
