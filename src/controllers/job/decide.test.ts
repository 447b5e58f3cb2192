// A Job's decisions row by row, after upstream's TestControllerSyncJob (pkg/controller/job/job_controller_test.go):
// parallelism, completions, failures against backoffLimit, the deadline, suspend, and the conditions set on the way.
import assert from "node:assert/strict";
import test from "node:test";
import type { Job, JobStatus } from "../../api/batch/types.js";
import type { Pod } from "../../api/core/types.js";
import { decideJob } from "./decide.js";

const now = new Date("2026-01-01T00:10:00Z");

function job(spec: Partial<Job["spec"]>, status: JobStatus = { startTime: "2026-01-01T00:09:00Z" }): Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "foo", namespace: "default" },
    spec: { parallelism: 2, completions: 5, backoffLimit: 6, template: { spec: { containers: [] } }, ...spec },
    status,
  };
}

const pods = (phase: string, count: number, deleting = false): Pod[] =>
  Array.from({ length: count }, (_, i) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `${phase}-${i}`, deletionTimestamp: deleting ? "2026-01-01T00:09:59Z" : undefined },
    spec: { containers: [] },
    status: { phase: phase as "Running" },
  }));

const rows: {
  name: string;
  job: Job;
  pods: Pod[];
  create: number;
  remove: number;
  active: number;
  succeeded?: number;
  failed?: number;
  conditions?: string[];
}[] = [
  { name: "a new Job starts parallelism pods", job: job({}), pods: [], create: 2, remove: 0, active: 2 },
  { name: "pods running: nothing to do", job: job({}), pods: pods("Running", 2), create: 0, remove: 0, active: 2 },
  {
    name: "fewer left to complete than parallelism",
    job: job({}),
    pods: [...pods("Succeeded", 4)],
    create: 1,
    remove: 0,
    active: 1,
    succeeded: 4,
  },
  {
    name: "too many running for what is left: the extra stops",
    job: job({}),
    pods: [...pods("Succeeded", 4), ...pods("Running", 2)],
    create: 0,
    remove: 1,
    active: 1,
    succeeded: 4,
  },
  {
    name: "completions reached: SuccessCriteriaMet and Complete",
    job: job({}),
    pods: pods("Succeeded", 5),
    create: 0,
    remove: 0,
    active: 0,
    succeeded: 5,
    conditions: ["SuccessCriteriaMet", "Complete"],
  },
  {
    name: "a failed pod is replaced",
    job: job({}),
    pods: [...pods("Failed", 1), ...pods("Running", 1)],
    create: 1,
    remove: 0,
    active: 2,
    failed: 1,
  },
  {
    name: "more failures than backoffLimit: FailureTarget, running pods stopped",
    job: job({ backoffLimit: 1 }),
    pods: [...pods("Failed", 2), ...pods("Running", 1)],
    create: 0,
    remove: 1,
    active: 0,
    failed: 2,
    conditions: ["FailureTarget"],
  },
  {
    name: "more failures than backoffLimit and nothing running: Failed",
    job: job({ backoffLimit: 1 }),
    pods: pods("Failed", 2),
    create: 0,
    remove: 0,
    active: 0,
    failed: 2,
    conditions: ["FailureTarget", "Failed"],
  },
  {
    name: "OnFailure: container restarts in running pods reach backoffLimit",
    job: job({ backoffLimit: 2, template: { spec: { restartPolicy: "OnFailure", containers: [] } } }),
    pods: pods("Running", 1).map((p) => ({
      ...p,
      status: {
        ...p.status,
        containerStatuses: [{ name: "c", ready: false, restartCount: 2, image: "i", imageID: "" }],
      },
    })) as Pod[],
    create: 0,
    remove: 1,
    active: 0,
    conditions: ["FailureTarget"],
  },
  {
    name: "OnFailure: fewer restarts than backoffLimit keep it running",
    job: job({ backoffLimit: 3, parallelism: 1, template: { spec: { restartPolicy: "OnFailure", containers: [] } } }),
    pods: pods("Running", 1).map((p) => ({
      ...p,
      status: {
        ...p.status,
        containerStatuses: [{ name: "c", ready: false, restartCount: 2, image: "i", imageID: "" }],
      },
    })) as Pod[],
    create: 0,
    remove: 0,
    active: 1,
  },
  {
    name: "past activeDeadlineSeconds: DeadlineExceeded",
    job: job({ activeDeadlineSeconds: 30 }),
    pods: pods("Running", 2),
    create: 0,
    remove: 2,
    active: 0,
    conditions: ["FailureTarget"],
  },
  {
    name: "work queue (completions unset): one success and none running completes it",
    job: job({ completions: undefined }),
    pods: pods("Succeeded", 1),
    create: 0,
    remove: 0,
    active: 0,
    conditions: ["SuccessCriteriaMet", "Complete"],
  },
  {
    name: "work queue: after one success no new pods start",
    job: job({ completions: undefined }),
    pods: [...pods("Succeeded", 1), ...pods("Running", 1)],
    create: 0,
    remove: 0,
    active: 1,
  },
  {
    name: "suspended: running pods stop, Suspended",
    job: job({ suspend: true }),
    pods: pods("Running", 2),
    create: 0,
    remove: 2,
    active: 0,
    conditions: ["Suspended"],
  },
  {
    name: "terminating pods are not counted as active, and are replaced",
    job: job({}),
    pods: pods("Running", 2, true),
    create: 2,
    remove: 0,
    active: 2,
  },
];
for (const row of rows) {
  test(`job: ${row.name}`, () => {
    const decision = decideJob(row.job, row.pods, now);
    assert.equal(decision.create, row.create, "create");
    assert.equal(decision.remove.length, row.remove, "remove");
    assert.equal(decision.status.active, row.active, "active");
    if (row.succeeded !== undefined) assert.equal(decision.status.succeeded, row.succeeded);
    if (row.failed !== undefined) assert.equal(decision.status.failed, row.failed);
    const conditions = (decision.status.conditions ?? []).filter((c) => c.status === "True").map((c) => c.type);
    assert.deepEqual(conditions, row.conditions ?? []);
  });
}

test("job: a Job resumed after a suspension restarts its deadline clock", () => {
  const suspended = job({}, { conditions: [{ type: "Suspended", status: "True", reason: "JobSuspended" }] });
  const decision = decideJob(suspended, [], now);
  assert.equal(decision.status.startTime, "2026-01-01T00:10:00Z");
  assert.deepEqual(
    decision.status.conditions?.map((c) => [c.type, c.status, c.reason]),
    [["Suspended", "False", "JobResumed"]],
  );
  assert.equal(decision.create, 2);
});
