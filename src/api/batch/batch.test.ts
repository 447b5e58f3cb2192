// Job and CronJob defaults, rules and rows as upstream (pkg/apis/batch/v1/defaults_test.go,
// pkg/apis/batch/validation/validation_test.go, printers_test.go printJob and printCronJob).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { cronJobs } from "./cronjob.js";
import { jobs } from "./job.js";
import type { CronJob, Job } from "./types.js";

const template = () => ({
  metadata: { labels: { app: "backup" } },
  spec: { restartPolicy: "Never" as const, containers: [{ name: "dump", image: "busybox" }] },
});

function job(edit: (j: Job) => void = () => {}): Job {
  const j: Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "backup", namespace: "default", uid: "u-1", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { template: template() },
  };
  edit(j);
  jobs.prepareForCreate?.(j);
  jobs.applyDefaults(j);
  return j;
}

function cronJob(edit: (c: CronJob) => void = () => {}): CronJob {
  const c: CronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "nightly", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { schedule: "*/1 * * * *", jobTemplate: { spec: { template: template() } } },
  };
  edit(c);
  cronJobs.applyDefaults(c);
  return c;
}

test("a Job defaults to one completion, parallelism 1, backoffLimit 6, and selects its pods by its uid", () => {
  const j = job();
  assert.equal(j.spec.completions, 1);
  assert.equal(j.spec.parallelism, 1);
  assert.equal(j.spec.backoffLimit, 6);
  assert.equal(j.spec.completionMode, "NonIndexed");
  assert.equal(j.spec.suspend, false);
  assert.deepEqual(j.spec.selector, { matchLabels: { "batch.kubernetes.io/controller-uid": "u-1" } });
  assert.deepEqual(j.spec.template.metadata?.labels, {
    app: "backup",
    "batch.kubernetes.io/controller-uid": "u-1",
    "batch.kubernetes.io/job-name": "backup",
    "controller-uid": "u-1",
    "job-name": "backup",
  });
  assert.deepEqual(j.metadata.labels, j.spec.template.metadata?.labels);
  assert.deepEqual(jobs.validateCreate(j), []);
});

test("a Job with only parallelism set keeps completions unset (a work queue)", () => {
  const j = job((x) => (x.spec.parallelism = 3));
  assert.equal(j.spec.completions, undefined);
  assert.equal(jobs.table.row(j, new Date())[2], "0/1 of 3");
});

const invalidJobs: [string, (j: Job) => void, string][] = [
  [
    "restartPolicy Always",
    (j) => (j.spec.template.spec.restartPolicy = "Always"),
    'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
  ],
  [
    "negative parallelism",
    (j) => (j.spec.parallelism = -1),
    "spec.parallelism: Invalid value: -1: must be greater than or equal to 0",
  ],
  [
    "a negative backoffLimit",
    (j) => (j.spec.backoffLimit = -1),
    "spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
  ],
  [
    "a negative ttlSecondsAfterFinished",
    (j) => (j.spec.ttlSecondsAfterFinished = -1),
    "spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0",
  ],
];
for (const [name, edit, want] of invalidJobs) {
  test(`a Job with ${name} is refused`, () =>
    assert.deepEqual(jobs.validateCreate(job(edit)).map(fieldErrorMessage), [want]));
}

test("a Job's template cannot change once created", () => {
  const old = job();
  const next = structuredClone(old);
  next.spec.template.spec.containers[0].image = "alpine";
  assert.match(jobs.validateUpdate(next, old).map(fieldErrorMessage).join("\n"), /spec.template: .*field is immutable/);
});

test("kubectl get job: STATUS COMPLETIONS DURATION AGE", () => {
  const j = job();
  j.status = {
    succeeded: 1,
    startTime: "2026-01-01T00:00:00Z",
    completionTime: "2026-01-01T00:00:07Z",
    conditions: [{ type: "Complete", status: "True" }],
  };
  assert.deepEqual(
    jobs.table.columns.map((c) => c.name),
    ["Name", "Status", "Completions", "Duration", "Age", "Containers", "Images", "Selector"],
  );
  assert.deepEqual(jobs.table.row(j, new Date("2026-01-01T00:01:00Z")).slice(0, 5), [
    "backup",
    "Complete",
    "1/1",
    "7s",
    "60s",
  ]);
});

test("a CronJob defaults to Allow, not suspended, 3 successful and 1 failed Jobs kept", () => {
  const c = cronJob();
  assert.equal(c.spec.concurrencyPolicy, "Allow");
  assert.equal(c.spec.suspend, false);
  assert.equal(c.spec.successfulJobsHistoryLimit, 3);
  assert.equal(c.spec.failedJobsHistoryLimit, 1);
  assert.equal(c.spec.jobTemplate.spec.backoffLimit, 6);
  assert.deepEqual(cronJobs.validateCreate(c), []);
});

const invalidCronJobs: [string, (c: CronJob) => void, string][] = [
  [
    "six fields",
    (c) => (c.spec.schedule = "* * * * * *"),
    'spec.schedule: Invalid value: "* * * * * *": expected exactly 5 fields, found 6: [* * * * * *]',
  ],
  [
    "TZ in the schedule",
    (c) => (c.spec.schedule = "TZ=UTC 0 * * * *"),
    'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
  ],
  [
    "an unknown time zone",
    (c) => (c.spec.timeZone = "Mars/Base"),
    'spec.timeZone: Invalid value: "Mars/Base": unknown time zone Mars/Base',
  ],
  [
    "an unknown concurrencyPolicy",
    (c) => (c.spec.concurrencyPolicy = "Sometimes" as "Allow"),
    'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
  ],
];
for (const [name, edit, want] of invalidCronJobs) {
  test(`a CronJob with ${name} is refused`, () => {
    const errs = cronJobs.validateCreate(cronJob(edit)).map(fieldErrorMessage);
    assert.ok(errs.includes(want), errs.join("\n"));
  });
}

test("kubectl get cronjob: SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE", () => {
  const c = cronJob((x) => (x.spec.timeZone = "Europe/Berlin"));
  c.status = { active: [{ kind: "Job", name: "nightly-1" }], lastScheduleTime: "2026-01-01T00:09:00Z" };
  assert.deepEqual(
    cronJobs.table.columns.filter((col) => col.priority === 0).map((col) => col.name),
    ["Name", "Schedule", "Timezone", "Suspend", "Active", "Last Schedule", "Age"],
  );
  assert.deepEqual(cronJobs.table.row(c, new Date("2026-01-01T00:10:00Z")).slice(0, 7), [
    "nightly",
    "*/1 * * * *",
    "Europe/Berlin",
    "False",
    1,
    "60s",
    "10m",
  ]);
});
