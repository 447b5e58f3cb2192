// A CronJob's decisions row by row, after upstream's TestControllerV2SyncCronJob and Test_mostRecentScheduleTime
// (pkg/controller/cronjob): which scheduled time is due, concurrencyPolicy, startingDeadlineSeconds, time zones, job
// names, and the history limits.
import assert from "node:assert/strict";
import test from "node:test";
import type { CronJob, Job } from "../../api/batch/types.js";
import { jobFor, jobName, jobsToPrune, scheduleDecision } from "./decide.js";

function cronJob(spec: Partial<CronJob["spec"]> = {}, lastScheduleTime?: string): CronJob {
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name: "mycronjob", namespace: "default", uid: "u", creationTimestamp: "2026-01-01T09:00:00Z" },
    spec: {
      schedule: "0 * * * *",
      concurrencyPolicy: "Allow",
      successfulJobsHistoryLimit: 2,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: { template: { spec: { containers: [] } } } },
      ...spec,
    },
    status: lastScheduleTime ? { lastScheduleTime } : {},
  };
}

const at = (text: string) => new Date(text);

const rows: {
  name: string;
  cj: CronJob;
  active: number;
  now: string;
  start: boolean;
  scheduled?: string;
  reason?: string;
  replace?: boolean;
}[] = [
  {
    name: "before the first scheduled time: not yet",
    cj: cronJob(),
    active: 0,
    now: "2026-01-01T09:59:59Z",
    start: false,
    reason: "NotYet",
  },
  {
    name: "on the hour: start",
    cj: cronJob(),
    active: 0,
    now: "2026-01-01T10:00:01Z",
    start: true,
    scheduled: "2026-01-01T10:00:00.000Z",
  },
  {
    name: "already started this hour: not yet",
    cj: cronJob({}, "2026-01-01T10:00:00Z"),
    active: 1,
    now: "2026-01-01T10:30:00Z",
    start: false,
    reason: "NotYet",
  },
  {
    name: "missed several: only the most recent starts",
    cj: cronJob({}, "2026-01-01T10:00:00Z"),
    active: 0,
    now: "2026-01-01T13:05:00Z",
    start: true,
    scheduled: "2026-01-01T13:00:00.000Z",
  },
  {
    name: "Allow with a Job still running: another starts",
    cj: cronJob({}, "2026-01-01T10:00:00Z"),
    active: 1,
    now: "2026-01-01T11:00:01Z",
    start: true,
    scheduled: "2026-01-01T11:00:00.000Z",
  },
  {
    name: "Forbid with a Job still running: none starts",
    cj: cronJob({ concurrencyPolicy: "Forbid" }, "2026-01-01T10:00:00Z"),
    active: 1,
    now: "2026-01-01T11:00:01Z",
    start: false,
    reason: "Forbidden",
  },
  {
    name: "Replace with a Job still running: it is replaced",
    cj: cronJob({ concurrencyPolicy: "Replace" }, "2026-01-01T10:00:00Z"),
    active: 1,
    now: "2026-01-01T11:00:01Z",
    start: true,
    scheduled: "2026-01-01T11:00:00.000Z",
    replace: true,
  },
  {
    name: "past startingDeadlineSeconds: nothing in the window",
    cj: cronJob({ startingDeadlineSeconds: 10 }, "2026-01-01T10:00:00Z"),
    active: 0,
    now: "2026-01-01T11:00:30Z",
    start: false,
    reason: "NotYet",
  },
  {
    name: "within startingDeadlineSeconds: start",
    cj: cronJob({ startingDeadlineSeconds: 60 }, "2026-01-01T10:00:00Z"),
    active: 0,
    now: "2026-01-01T11:00:30Z",
    start: true,
    scheduled: "2026-01-01T11:00:00.000Z",
  },
  {
    name: "a daily schedule in a time zone runs at that zone's midnight",
    cj: cronJob({ schedule: "0 0 * * *", timeZone: "Asia/Tokyo" }),
    active: 0,
    now: "2026-01-01T15:00:01Z",
    start: true,
    scheduled: "2026-01-01T15:00:00.000Z",
  },
];
for (const row of rows) {
  test(`cronjob: ${row.name}`, () => {
    const decision = scheduleDecision(row.cj, row.active, at(row.now));
    assert.equal(decision.start, row.start);
    if (decision.start) {
      assert.equal(decision.scheduled.toISOString(), row.scheduled);
      assert.equal(decision.replace, row.replace ?? false);
    } else assert.equal(decision.reason, row.reason);
  });
}

test("cronjob: a scheduled time names its Job by minutes since the epoch, with the scheduled-timestamp annotation", () => {
  const scheduled = at("2026-01-01T10:00:00Z");
  assert.equal(jobName(cronJob(), scheduled), `mycronjob-${scheduled.getTime() / 60_000}`);
  const job = jobFor(cronJob(), scheduled);
  assert.equal(job.metadata.annotations?.["batch.kubernetes.io/cronjob-scheduled-timestamp"], "2026-01-01T10:00:00Z");
  assert.deepEqual(
    job.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]),
    [["CronJob", "mycronjob", true]],
  );
});

const finished = (name: string, type: "Complete" | "Failed", start: string): Job => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name },
  spec: { template: { spec: { containers: [] } } },
  status: { startTime: start, conditions: [{ type, status: "True" }] },
});

test("cronjob: history limits drop the oldest finished Jobs of each kind", () => {
  const jobs = [
    finished("ok-3", "Complete", "2026-01-01T03:00:00Z"),
    finished("ok-1", "Complete", "2026-01-01T01:00:00Z"),
    finished("ok-2", "Complete", "2026-01-01T02:00:00Z"),
    finished("bad-1", "Failed", "2026-01-01T01:30:00Z"),
    finished("bad-2", "Failed", "2026-01-01T02:30:00Z"),
  ];
  assert.deepEqual(
    jobsToPrune(cronJob(), jobs).map((j) => j.metadata.name),
    ["ok-1", "bad-1"],
  );
});
