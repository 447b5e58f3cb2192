// Which pod a ReplicaSet deletes first, row by row as upstream's TestSortingActivePods and ActivePodsWithRanks
// (pkg/controller/controller_utils_test.go): each row names the pod that goes before the other.
import assert from "node:assert/strict";
import test from "node:test";
import type { Pod } from "../../api/core/types.js";
import { Expectations } from "../common/expectations.js";
import { isPodActive, isPodAvailable, podsToDelete } from "./ranking.js";

interface PodShape {
  node?: string;
  phase?: string;
  ready?: string;
  restarts?: number;
  created?: string;
  cost?: string;
}

function pod(name: string, shape: PodShape = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      creationTimestamp: shape.created ?? "2026-01-01T00:00:00Z",
      annotations: shape.cost ? { "controller.kubernetes.io/pod-deletion-cost": shape.cost } : undefined,
    },
    spec: { containers: [{ name: "c", image: "i" }], nodeName: shape.node },
    status: {
      phase: (shape.phase ?? "Running") as "Running",
      conditions: shape.ready ? [{ type: "Ready", status: "True", lastTransitionTime: shape.ready }] : [],
      containerStatuses: [
        { name: "c", ready: !!shape.ready, restartCount: shape.restarts ?? 0, image: "i", imageID: "" },
      ],
    },
  } as Pod;
}

const ready = "2026-01-01T00:01:00Z";
const rows: [string, PodShape, PodShape][] = [
  ["an unscheduled pod before a scheduled one", { phase: "Pending" }, { node: "a", phase: "Pending" }],
  ["a Pending pod before an Unknown one", { node: "a", phase: "Pending" }, { node: "b", phase: "Unknown" }],
  ["an Unknown pod before a Running one", { node: "a", phase: "Unknown" }, { node: "b", phase: "Running" }],
  ["a not-ready pod before a ready one", { node: "a" }, { node: "b", ready }],
  ["a lower deletion cost first", { node: "a", ready, cost: "-10" }, { node: "b", ready, cost: "10" }],
  ["a ready pod ready for less time first", { node: "a", ready: "2026-01-01T00:05:00Z" }, { node: "b", ready }],
  ["more restarts first", { node: "a", ready, restarts: 3 }, { node: "b", ready, restarts: 1 }],
  ["a newer pod first", { node: "a", ready, created: "2026-01-01T00:00:30Z" }, { node: "b", ready }],
];
for (const [name, first, second] of rows) {
  test(`scale-down deletes ${name}`, () => {
    const [chosen] = podsToDelete([pod("second", second), pod("first", first)], 1);
    assert.equal(chosen.metadata.name, "first");
  });
}

test("scale-down deletes a pod doubled up on a node before one alone on its node", () => {
  const chosen = podsToDelete(
    [pod("alone", { node: "b", ready }), pod("x", { node: "a", ready }), pod("y", { node: "a", ready })],
    1,
  );
  assert.notEqual(chosen[0].metadata.name, "alone");
});

const counted: [string, Pod, boolean][] = [
  ["a Running pod counts", pod("p"), true],
  ["a Succeeded pod does not", pod("p", { phase: "Succeeded" }), false],
  ["a Failed pod does not", pod("p", { phase: "Failed" }), false],
  ["a terminating pod does not", { ...pod("p"), metadata: { ...pod("p").metadata, deletionTimestamp: ready } }, false],
];
for (const [name, p, want] of counted) test(`active pods: ${name}`, () => assert.equal(isPodActive(p), want));

test("a pod is available once ready for minReadySeconds", () => {
  const p = pod("p", { node: "a", ready: "2026-01-01T00:00:00Z" });
  assert.equal(isPodAvailable(p, 0, new Date("2026-01-01T00:00:00Z")), true);
  assert.equal(isPodAvailable(p, 10, new Date("2026-01-01T00:00:05Z")), false);
  assert.equal(isPodAvailable(p, 10, new Date("2026-01-01T00:00:10Z")), true);
  assert.equal(isPodAvailable(pod("q", { node: "a" }), 0, new Date()), false);
});

test("expectations hold a set until its creations and deletions are seen, or five minutes pass", () => {
  let now = 0;
  const expectations = new Expectations(() => now);
  expectations.expectCreations("ns/rs", 2);
  expectations.creationObserved("ns/rs");
  assert.equal(expectations.satisfied("ns/rs"), false);
  expectations.creationObserved("ns/rs");
  assert.equal(expectations.satisfied("ns/rs"), true);
  expectations.expectDeletions("ns/rs", ["u1"]);
  expectations.deletionObserved("ns/rs", "u2");
  assert.equal(expectations.satisfied("ns/rs"), false);
  now = 5 * 60_000 + 1;
  assert.equal(expectations.satisfied("ns/rs"), true);
});
