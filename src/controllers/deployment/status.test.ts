// A Deployment's conditions, row by row after upstream's TestSyncRolloutStatus (progress_test.go) and
// TestDeploymentComplete / TestDeploymentProgressing (util/deployment_util_test.go).
import assert from "node:assert/strict";
import test from "node:test";
import type { Deployment, DeploymentStatus, ReplicaSet, WorkloadCondition } from "../../api/apps/types.js";
import { deploymentComplete, deploymentProgressing, rolloutStatus } from "./status.js";

const earlier = "2026-01-01T00:00:00Z";
const now = new Date("2026-01-01T00:20:00Z");

function deployment(status: DeploymentStatus, deadline: number | null = 600, generation = 1): Deployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "foo", namespace: "default", generation },
    spec: {
      replicas: 3,
      selector: { matchLabels: { foo: "bar" } },
      template: { spec: { containers: [] } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      progressDeadlineSeconds: deadline ?? undefined,
    },
    status: { observedGeneration: generation, ...status },
  };
}

const rs = (name: string, replicas: number, available: number): ReplicaSet => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: { name, namespace: "default" },
  spec: { replicas, selector: {}, template: { spec: { containers: [] } } },
  status: { replicas, readyReplicas: available, availableReplicas: available },
});

const progressing = (status: WorkloadCondition["status"], reason: string): WorkloadCondition => ({
  type: "Progressing",
  status,
  reason,
  lastUpdateTime: earlier,
  lastTransitionTime: earlier,
});

const rows: {
  name: string;
  d: Deployment;
  sets: ReplicaSet[];
  want?: [WorkloadCondition["status"], string, string?];
}[] = [
  {
    name: "no progress deadline: no Progressing condition",
    d: deployment({ replicas: 3, updatedReplicas: 2 }, null),
    sets: [rs("bar", 0, 1), rs("foo", 3, 2)],
  },
  {
    name: "a finished rollout keeps NewReplicaSetAvailable",
    d: deployment({ replicas: 3, updatedReplicas: 3, conditions: [progressing("True", "NewReplicaSetAvailable")] }),
    sets: [rs("foo", 3, 3)],
    want: ["True", "NewReplicaSetAvailable", earlier],
  },
  {
    name: "progress keeps lastTransitionTime when already Progressing=True",
    d: deployment({
      replicas: 3,
      updatedReplicas: 2,
      availableReplicas: 2,
      conditions: [progressing("True", "ReplicaSetUpdated")],
    }),
    sets: [rs("bar", 1, 1), rs("foo", 3, 3)],
    want: ["True", "ReplicaSetUpdated", earlier],
  },
  {
    name: "progress after a timeout moves lastTransitionTime",
    d: deployment({
      replicas: 3,
      updatedReplicas: 2,
      availableReplicas: 2,
      conditions: [progressing("False", "ProgressDeadlineExceeded")],
    }),
    sets: [rs("bar", 1, 1), rs("foo", 3, 3)],
    want: ["True", "ReplicaSetUpdated", "2026-01-01T00:20:00Z"],
  },
  {
    name: "no progress past the deadline: ProgressDeadlineExceeded",
    d: deployment({
      replicas: 3,
      updatedReplicas: 3,
      availableReplicas: 2,
      readyReplicas: 2,
      conditions: [progressing("True", "ReplicaSetUpdated")],
    }),
    sets: [rs("foo", 3, 2)],
    want: ["False", "ProgressDeadlineExceeded"],
  },
  {
    name: "complete: NewReplicaSetAvailable, lastTransitionTime kept from Progressing=True",
    d: deployment({
      replicas: 3,
      updatedReplicas: 2,
      availableReplicas: 2,
      conditions: [progressing("True", "ReplicaSetUpdated")],
    }),
    sets: [rs("foo", 3, 3)],
    want: ["True", "NewReplicaSetAvailable", earlier],
  },
];
for (const row of rows) {
  test(`rollout status: ${row.name}`, () => {
    const newSet = row.sets.at(-1);
    const status = rolloutStatus(row.d, row.sets, newSet, now);
    const condition = status.conditions?.find((c) => c.type === "Progressing");
    if (!row.want) return assert.equal(condition, undefined);
    assert.equal(condition?.status, row.want[0]);
    assert.equal(condition?.reason, row.want[1]);
    if (row.want[2]) assert.equal(condition?.lastTransitionTime, row.want[2]);
  });
}

test("Available says whether replicas - maxUnavailable pods are available", () => {
  const d = deployment({});
  const available = (sets: ReplicaSet[]) =>
    rolloutStatus(d, sets, sets[0], now).conditions?.find((c) => c.type === "Available");
  assert.deepEqual(
    [available([rs("foo", 3, 3)])?.reason, available([rs("foo", 3, 3)])?.message],
    ["MinimumReplicasAvailable", "Deployment has minimum availability."],
  );
  assert.equal(available([rs("foo", 3, 2)])?.reason, "MinimumReplicasUnavailable");
});

const complete: [string, DeploymentStatus, number, boolean][] = [
  ["all updated and available", { replicas: 3, updatedReplicas: 3, availableReplicas: 3 }, 1, true],
  ["an old pod left", { replicas: 4, updatedReplicas: 3, availableReplicas: 3 }, 1, false],
  ["not all available", { replicas: 3, updatedReplicas: 3, availableReplicas: 2 }, 1, false],
  [
    "a newer spec not yet observed",
    { replicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1 },
    2,
    false,
  ],
];
for (const [name, status, generation, want] of complete) {
  test(`complete: ${name}`, () => {
    const d = deployment({}, 600, generation);
    assert.equal(deploymentComplete(d, { observedGeneration: 1, ...status }), want);
  });
}

test("progressing: more updated, fewer old, more ready or more available pods than last time", () => {
  const d = deployment({ replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 });
  assert.equal(
    deploymentProgressing(d, { replicas: 4, updatedReplicas: 2, readyReplicas: 3, availableReplicas: 3 }),
    true,
  );
  assert.equal(
    deploymentProgressing(d, { replicas: 3, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 }),
    true,
  );
  assert.equal(
    deploymentProgressing(d, { replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3 }),
    false,
  );
});
