// The CronJob controller's sync (upstream pkg/controller/cronjob/cronjob_controllerv2.go): track the Jobs it owns,
// drop finished ones past the history limits, start the Job of a due scheduled time, and come back at the next one.
import type { CronJob, CronJobStatus, Job } from "../../api/batch/types.js";
import { deepEqual } from "../../api/validation/meta.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { isAlreadyExists, isNotFound } from "../../client/index.js";
import { isControlledBy } from "../common/controllerref.js";
import { finishedAs, jobFor, jobsToPrune, scheduleDecision } from "./decide.js";

export interface CronJobSync {
  client: Client;
  cronJobs: Lister<CronJob>;
  jobs: Lister<Job>;
  recorder: EventRecorder;
  requeueAfter(key: string, delayMs: number): void;
  now?: () => Date;
}

const ref = (job: Job) => ({
  apiVersion: "batch/v1",
  kind: "Job",
  name: job.metadata.name ?? "",
  namespace: job.metadata.namespace,
  uid: job.metadata.uid,
  resourceVersion: job.metadata.resourceVersion,
});

const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

async function deleteJob(ctx: CronJobSync, cronJob: CronJob, job: Job): Promise<void> {
  try {
    await ctx.client.jobs.delete(job.metadata.namespace ?? "", job.metadata.name ?? "", {
      propagationPolicy: "Background",
      preconditions: { uid: job.metadata.uid },
    });
    ctx.recorder.event(cronJob, "Normal", "SuccessfulDelete", `Deleted job ${job.metadata.name ?? ""}`);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Starts the Job of a scheduled time; one that exists already (a retry, or the cache lagging) is fine. */
async function startJob(ctx: CronJobSync, cronJob: CronJob, job: Job): Promise<Job | undefined> {
  try {
    const created = await ctx.client.jobs.create(job);
    ctx.recorder.event(cronJob, "Normal", "SuccessfulCreate", `Created job ${created.metadata.name ?? ""}`);
    return created;
  } catch (err) {
    if (isAlreadyExists(err)) return undefined;
    ctx.recorder.event(
      cronJob,
      "Warning",
      "FailedCreate",
      `Error creating job: ${err instanceof Error ? err.message : String(err)}`,
    );
    throw err;
  }
}

/** Moves one CronJob one round; safe to run any number of times. */
export async function syncCronJob(ctx: CronJobSync, key: string): Promise<void> {
  const cronJob = ctx.cronJobs.get(key);
  if (!cronJob) return;
  const now = ctx.now?.() ?? new Date();
  const owned = ctx.jobs
    .list({ namespace: cronJob.metadata.namespace ?? "" })
    .filter((job) => isControlledBy(job, cronJob));
  const status: CronJobStatus = structuredClone(cronJob.status ?? {});
  const wasActive = new Set((status.active ?? []).map((r) => r.uid));
  for (const job of owned) {
    const finished = finishedAs(job);
    if (finished && wasActive.has(job.metadata.uid)) {
      const message = `Saw completed job: ${job.metadata.name ?? ""}, condition: ${finished}`;
      ctx.recorder.event(cronJob, "Normal", "SawCompletedJob", message);
    }
    const completed = job.status?.completionTime;
    if (finished === "Complete" && completed && (!status.lastSuccessfulTime || completed > status.lastSuccessfulTime)) {
      status.lastSuccessfulTime = completed;
    }
  }
  let active = owned.filter((job) => !finishedAs(job) && !job.metadata.deletionTimestamp);
  for (const job of jobsToPrune(cronJob, owned)) await deleteJob(ctx, cronJob, job);

  if (!cronJob.metadata.deletionTimestamp && !cronJob.spec.suspend) {
    const decision = scheduleDecision(cronJob, active.length, now);
    if (decision.start) {
      if (decision.replace) {
        for (const job of active) await deleteJob(ctx, cronJob, job);
        active = [];
      }
      const created = await startJob(ctx, cronJob, jobFor(cronJob, decision.scheduled));
      if (created) active.push(created);
      status.lastScheduleTime = rfc3339(decision.scheduled);
    } else if (decision.reason === "Forbidden") {
      const message = "Not starting job because prior execution is running and concurrency policy is Forbid";
      ctx.recorder.event(cronJob, "Normal", "JobAlreadyActive", message);
    } else if (decision.reason === "TooLate" && decision.scheduled) {
      ctx.recorder.event(
        cronJob,
        "Warning",
        "MissSchedule",
        `Missed scheduled time to start a job: ${rfc3339(decision.scheduled)}`,
      );
    }
    ctx.requeueAfter(key, decision.next.getTime() - now.getTime() + 100);
  }
  status.active = active.map(ref);
  if (status.active.length === 0) delete status.active;
  if (deepEqual(status, cronJob.status ?? {})) return;
  try {
    await ctx.client.cronJobs.updateStatus({ ...cronJob, status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
