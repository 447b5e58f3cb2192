// The rollout arithmetic, row by row from upstream's tests (pkg/controller/deployment/rolling_test.go and
// util/deployment_util_test.go): each row is a case a reader can check against upstream's table.
import assert from "node:assert/strict";
import test from "node:test";
import type { Deployment, IntOrPercent, ReplicaSet } from "../../api/apps/types.js";
import {
  activeOrLatest,
  cleanupUnhealthyReplicas,
  newReplicaSetReplicas,
  proportionalScale,
  reconcileNewReplicaSet,
  reconcileOldReplicaSets,
  resolveFenceposts,
  scaleDownOldForRollingUpdate,
} from "./rolling.js";

function deployment(
  replicas: number,
  maxSurge?: IntOrPercent,
  maxUnavailable?: IntOrPercent,
  type: "RollingUpdate" | "Recreate" = "RollingUpdate",
): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "foo", namespace: "default" },
    spec: {
      replicas,
      selector: { matchLabels: { foo: "bar" } },
      template: { metadata: { labels: { foo: "bar" } }, spec: { containers: [] } },
      strategy: { type, rollingUpdate: { maxSurge, maxUnavailable } },
    },
  };
}

function rs(name: string, replicas: number, available = replicas, created = "2026-01-01T00:00:00Z"): ReplicaSet {
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name, namespace: "default", creationTimestamp: created },
    spec: { replicas, selector: {}, template: { spec: { containers: [] } } },
    status: { replicas, availableReplicas: available },
  };
}

// TestResolveFenceposts (unset is 0 here; the API defaults both to 25%).
const fenceposts: [IntOrPercent | undefined, IntOrPercent | undefined, number, number, number][] = [
  ["0%", "0%", 0, 0, 1],
  ["39%", "39%", 10, 4, 3],
  [undefined, "39%", 10, 0, 3],
  ["39%", undefined, 10, 4, 0],
  [undefined, undefined, 10, 0, 1],
  ["25%", "25%", 3, 1, 0],
  ["25%", "25%", 1, 1, 0],
  [2, 1, 5, 2, 1],
];
for (const [surge, unavailable, desired, wantSurge, wantUnavailable] of fenceposts) {
  test(`fenceposts: maxSurge ${surge} and maxUnavailable ${unavailable} of ${desired} are ${wantSurge} and ${wantUnavailable}`, () =>
    assert.deepEqual(resolveFenceposts(deployment(desired, surge, unavailable)), {
      maxSurge: wantSurge,
      maxUnavailable: wantUnavailable,
    }));
}

// TestNewRSNewReplicas: the other sets hold 5 replicas.
const newRSReplicas: [string, "RollingUpdate" | "Recreate", number, number, number, number][] = [
  ["can not scale up - to newRSReplicas", "RollingUpdate", 1, 5, 1, 5],
  ["scale up - to depReplicas", "RollingUpdate", 6, 2, 10, 6],
  ["recreate - to depReplicas", "Recreate", 3, 1, 1, 3],
];
for (const [name, type, replicas, newReplicas, surge, want] of newRSReplicas) {
  test(`new set size: ${name}`, () =>
    assert.equal(
      newReplicaSetReplicas(deployment(replicas, surge, 1, type), [rs("rs5", 5)], rs("new", newReplicas)),
      want,
    ));
}

// TestDeploymentController_reconcileNewReplicaSet: maxUnavailable 0.
const reconcileNew: [string, number, IntOrPercent, number, number, number | undefined][] = [
  ["no surge: no scale up while old pods fill the Deployment", 1, 0, 10, 0, undefined],
  ["no surge with 10 old of 10", 10, 0, 10, 0, undefined],
  ["surge 2 over 10 old", 10, 2, 10, 0, 2],
  ["surge 2 over 5 old fills up to 7", 10, 2, 5, 0, 7],
  ["surge already used", 10, 2, 10, 2, undefined],
  ["a new set above the Deployment scales down", 2, 2, 2, 4, 2],
  ["25% surge of 10 rounds up to 3", 10, "25%", 10, 0, 3],
];
for (const [name, replicas, surge, oldReplicas, newReplicas, want] of reconcileNew) {
  test(`reconcile new set: ${name}`, () => {
    const old = rs("old", oldReplicas);
    const fresh = rs("new", newReplicas);
    assert.equal(reconcileNewReplicaSet(deployment(replicas, surge, 0), [old, fresh], fresh), want);
  });
}

// TestDeploymentController_reconcileOldReplicaSets: maxSurge 0.
const reconcileOld: [string, number, IntOrPercent, number, number, number, number, number | undefined][] = [
  ["maxUnavailable 0 with no surge still moves one", 10, 0, 10, 0, 10, 0, 9],
  ["maxUnavailable 2", 10, 2, 10, 0, 10, 0, 8],
  ["unhealthy old pods are cleaned up first", 10, 2, 10, 0, 8, 0, 8],
  ["one unhealthy cleaned up and one healthy scaled down", 10, 2, 10, 0, 9, 0, 8],
  ["unavailable new pods stop further scale-down", 10, 2, 8, 2, 8, 0, undefined],
  ["nothing old left", 10, 2, 0, 10, 0, 10, undefined],
];
for (const [name, replicas, unavailable, oldReplicas, newReplicas, oldReady, newReady, want] of reconcileOld) {
  test(`reconcile old sets: ${name}`, () => {
    const old = rs("old", oldReplicas, oldReady);
    const fresh = rs("new", newReplicas, newReady, "2026-01-02T00:00:00Z");
    const sizes = reconcileOldReplicaSets(deployment(replicas, 0, unavailable), [old, fresh], [old], fresh);
    assert.equal(sizes.get("old"), want);
  });
}

// TestDeploymentController_cleanupUnhealthyReplicas: 10 old replicas, 8 ready.
const cleanup: [number, number, number][] = [
  [8, 1, 9],
  [8, 3, 8],
  [8, 0, -1],
  [10, 3, -1],
];
for (const [ready, max, want] of cleanup) {
  test(`cleanup of unhealthy old pods: ${ready} of 10 ready, at most ${max}`, () =>
    assert.equal(cleanupUnhealthyReplicas([rs("old", 10, ready)], max).get("old") ?? -1, want));
}

// TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate: the old set is all there is.
const scaleDown: [string, number, number, number, number, number | undefined][] = [
  ["maxUnavailable 0 moves one", 10, 0, 10, 10, 9],
  ["maxUnavailable 2", 10, 2, 10, 10, 8],
  ["no op: it would break minAvailable", 10, 2, 8, 10, undefined],
  ["no op: no old pods", 10, 2, 10, 0, undefined],
];
for (const [name, replicas, unavailable, ready, oldReplicas, want] of scaleDown) {
  test(`scale down old sets: ${name}`, () => {
    const old = rs("old", oldReplicas, ready);
    assert.equal(scaleDownOldForRollingUpdate(deployment(replicas, 0, unavailable), [old], [old]).get("old"), want);
  });
}

test("old sets shrink oldest first", () => {
  const older = rs("older", 2, 2, "2026-01-01T00:00:00Z");
  const newer = rs("newer", 2, 2, "2026-01-02T00:00:00Z");
  const sizes = scaleDownOldForRollingUpdate(deployment(4, 0, 3), [newer, older], [newer, older]);
  assert.deepEqual(
    [...sizes],
    [
      ["older", 0],
      ["newer", 1],
    ],
  );
});

// FindActiveOrLatest (util/deployment_util_test.go TestFindActiveOrLatest).
const latest: [string, ReplicaSet | undefined, ReplicaSet[], string | undefined][] = [
  ["the one active old set", undefined, [rs("a", 3), rs("b", 0, 0, "2026-01-02T00:00:00Z")], "a"],
  ["the new set when it alone is active", rs("new", 3), [rs("a", 0)], "new"],
  ["none when two are active", rs("new", 1), [rs("a", 2)], undefined],
  ["the newest old set when none is active", undefined, [rs("a", 0), rs("b", 0, 0, "2026-01-02T00:00:00Z")], "b"],
];
for (const [name, fresh, old, want] of latest) {
  test(`active or latest: ${name}`, () => assert.equal(activeOrLatest(fresh, old)?.metadata.name, want));
}

test("a Deployment resized mid-rollout spreads the difference over its sets by their sizes", () => {
  const old = rs("old", 6);
  const fresh = rs("new", 4, 4, "2026-01-02T00:00:00Z");
  // 20 replicas with 25% surge allow 25: 15 more, spread 6:4.
  assert.deepEqual(Object.fromEntries(proportionalScale(deployment(20, "25%", "25%"), [old, fresh])), {
    old: 15,
    new: 10,
  });
});
