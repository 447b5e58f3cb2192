// A DaemonSet's decisions row by row, after upstream's TestNodeShouldRunDaemonPod and the manage/rollingUpdate tests
// (pkg/controller/daemon/daemon_controller_test.go, update_test.go): which nodes get a pod, and what a round does.
import assert from "node:assert/strict";
import test from "node:test";
import type { DaemonSet } from "../../api/apps/types.js";
import type { Node, Pod } from "../../api/core/types.js";
import type { Taint, Toleration } from "../../api/core/scheduling.js";
import { decideDaemonSet } from "./decide.js";
import { nodeShouldRunDaemonPod } from "./predicates.js";

function daemonSet(
  spec: {
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
    maxUnavailable?: number;
    onDelete?: boolean;
  } = {},
): DaemonSet {
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "ds", namespace: "default", generation: 1 },
    spec: {
      selector: { matchLabels: { app: "d" } },
      template: {
        metadata: { labels: { app: "d" } },
        spec: {
          containers: [{ name: "c", image: "i" }],
          nodeSelector: spec.nodeSelector,
          tolerations: spec.tolerations,
        },
      },
      updateStrategy: spec.onDelete
        ? { type: "OnDelete" }
        : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: spec.maxUnavailable ?? 1, maxSurge: 0 } },
    },
  };
}

const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node =>
  ({ apiVersion: "v1", kind: "Node", metadata: { name, labels }, spec: { taints } }) as Node;

const shouldRunRows: [string, DaemonSet, Node, boolean, boolean][] = [
  ["a plain node runs it", daemonSet(), node("n"), true, true],
  [
    "a nodeSelector the node matches",
    daemonSet({ nodeSelector: { disk: "ssd" } }),
    node("n", { disk: "ssd" }),
    true,
    true,
  ],
  [
    "a nodeSelector the node does not match",
    daemonSet({ nodeSelector: { disk: "ssd" } }),
    node("n", { disk: "hdd" }),
    false,
    false,
  ],
  [
    "an untolerated NoSchedule taint: no new pod, the running one stays",
    daemonSet(),
    node("n", {}, [{ key: "k", effect: "NoSchedule" }]),
    false,
    true,
  ],
  [
    "an untolerated NoExecute taint: none at all",
    daemonSet(),
    node("n", {}, [{ key: "k", effect: "NoExecute" }]),
    false,
    false,
  ],
  [
    "a tolerated NoExecute taint",
    daemonSet({ tolerations: [{ key: "k", operator: "Exists", effect: "NoExecute" }] }),
    node("n", {}, [{ key: "k", effect: "NoExecute" }]),
    true,
    true,
  ],
  [
    "a PreferNoSchedule taint does not matter",
    daemonSet(),
    node("n", {}, [{ key: "k", effect: "PreferNoSchedule" }]),
    true,
    true,
  ],
  [
    "a cordoned node (unschedulable taint) is tolerated by every daemon",
    daemonSet(),
    node("n", {}, [{ key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" }]),
    true,
    true,
  ],
  [
    "an unreachable node keeps its daemon",
    daemonSet(),
    node("n", {}, [{ key: "node.kubernetes.io/unreachable", effect: "NoExecute" }]),
    true,
    true,
  ],
];
for (const [name, set, n, shouldRun, shouldContinueRunning] of shouldRunRows) {
  test(`should run: ${name}`, () =>
    assert.deepEqual(nodeShouldRunDaemonPod(set, n), { shouldRun, shouldContinueRunning }));
}

const now = new Date("2026-01-01T00:10:00Z");
function pod(name: string, nodeName: string, hash: string, phase = "Running", ready = true): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, creationTimestamp: "2026-01-01T00:00:00Z", labels: { "controller-revision-hash": hash } },
    spec: { containers: [], nodeName },
    status: {
      phase: phase as "Running",
      conditions: ready ? [{ type: "Ready", status: "True", lastTransitionTime: "2026-01-01T00:00:00Z" }] : [],
    },
  } as Pod;
}

const rounds: { name: string; set: DaemonSet; nodes: Node[]; pods: Pod[]; create: string[]; remove: string[] }[] = [
  {
    name: "a pod for every node",
    set: daemonSet(),
    nodes: [node("a"), node("b")],
    pods: [],
    create: ["a", "b"],
    remove: [],
  },
  {
    name: "a node that has one gets none",
    set: daemonSet(),
    nodes: [node("a"), node("b")],
    pods: [pod("p", "a", "new")],
    create: ["b"],
    remove: [],
  },
  {
    name: "two on one node: the newer goes",
    set: daemonSet(),
    nodes: [node("a")],
    pods: [
      pod("p", "a", "new"),
      {
        ...pod("q", "a", "new"),
        metadata: { ...pod("q", "a", "new").metadata, creationTimestamp: "2026-01-01T00:01:00Z" },
      },
    ],
    create: [],
    remove: ["q"],
  },
  {
    name: "a failed daemon pod is replaced",
    set: daemonSet(),
    nodes: [node("a")],
    pods: [pod("p", "a", "new", "Failed", false)],
    create: ["a"],
    remove: ["p"],
  },
  {
    name: "a node no longer selected loses its pod",
    set: daemonSet({ nodeSelector: { disk: "ssd" } }),
    nodes: [node("a")],
    pods: [pod("p", "a", "new")],
    create: [],
    remove: ["p"],
  },
  {
    name: "rolling update: one old available pod at a time (maxUnavailable 1)",
    set: daemonSet(),
    nodes: [node("a"), node("b")],
    pods: [pod("p", "a", "old"), pod("q", "b", "old")],
    create: [],
    remove: ["p"],
  },
  {
    name: "rolling update: maxUnavailable 2 replaces two at once",
    set: daemonSet({ maxUnavailable: 2 }),
    nodes: [node("a"), node("b")],
    pods: [pod("p", "a", "old"), pod("q", "b", "old")],
    create: [],
    remove: ["p", "q"],
  },
  {
    name: "rolling update: an unavailable old pod goes without using the budget",
    set: daemonSet(),
    nodes: [node("a"), node("b")],
    pods: [pod("p", "a", "old", "Pending", false), pod("q", "b", "old")],
    create: [],
    remove: ["p"],
  },
  {
    name: "rolling update waits while a node is without its pod",
    set: daemonSet(),
    nodes: [node("a"), node("b")],
    pods: [pod("q", "b", "old")],
    create: ["a"],
    remove: [],
  },
  {
    name: "OnDelete leaves old pods alone",
    set: daemonSet({ onDelete: true }),
    nodes: [node("a")],
    pods: [pod("p", "a", "old")],
    create: [],
    remove: [],
  },
];
for (const row of rounds) {
  test(`daemonset round: ${row.name}`, () => {
    const decision = decideDaemonSet(row.set, row.nodes, row.pods, "new", now);
    assert.deepEqual(decision.create, row.create);
    assert.deepEqual(
      decision.remove.map((p) => p.metadata.name),
      row.remove,
    );
  });
}

test("daemonset status: desired, current, ready, up-to-date, available and misscheduled", () => {
  const set = daemonSet({ nodeSelector: { disk: "ssd" } });
  const nodes = [
    node("a", { disk: "ssd" }),
    node("b", { disk: "ssd" }),
    node("c", { disk: "ssd" }, [{ key: "k", effect: "NoSchedule" }]),
  ];
  const { status } = decideDaemonSet(
    set,
    nodes,
    [pod("p", "a", "new"), pod("q", "b", "old", "Running", false), pod("r", "c", "new")],
    "new",
    now,
  );
  assert.deepEqual(
    [
      status.desiredNumberScheduled,
      status.currentNumberScheduled,
      status.numberReady,
      status.updatedNumberScheduled,
      status.numberAvailable,
      status.numberUnavailable,
      status.numberMisscheduled,
    ],
    [2, 2, 1, 1, 1, 1, 1],
  );
});
