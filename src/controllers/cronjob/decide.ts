// What a CronJob does next (upstream pkg/controller/cronjob/cronjob_controllerv2.go syncCronJob and utils.go), as pure
// functions: the Job a scheduled time gets, which finished Jobs the history limits drop, and whether to start now.
import type { CronJob, Job } from "../../api/batch/types.js";
import { mostRecentScheduleTime, nextScheduleTime } from "../../api/batch/schedule.js";
import { controllerRef } from "../common/controllerref.js";

/** On each Job a CronJob starts: its scheduled time (RFC 3339, in the CronJob's time zone as upstream). */
export const CronJobScheduledTimestampAnnotation = "batch.kubernetes.io/cronjob-scheduled-timestamp";

const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** upstream getJobName: `<cronjob>-<scheduled time in minutes since the epoch>`, the same for every retry. */
export const jobName = (cronJob: CronJob, scheduled: Date): string =>
  `${cronJob.metadata.name ?? ""}-${Math.floor(scheduled.getTime() / 60_000)}`;

/** upstream getJobFromTemplate2. */
export function jobFor(cronJob: CronJob, scheduled: Date): Job {
  const template = structuredClone(cronJob.spec.jobTemplate);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: jobName(cronJob, scheduled),
      namespace: cronJob.metadata.namespace,
      labels: template.metadata?.labels,
      annotations: { ...template.metadata?.annotations, [CronJobScheduledTimestampAnnotation]: rfc3339(scheduled) },
      ownerReferences: [controllerRef(cronJob)],
    },
    spec: template.spec,
  };
}

export type Finished = "Complete" | "Failed" | undefined;

export function finishedAs(job: Job): Finished {
  const condition = (job.status?.conditions ?? []).find(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
  return condition?.type as Finished;
}

const startOf = (job: Job) => job.status?.startTime ?? job.metadata.creationTimestamp ?? "";

/** upstream cleanupFinishedJobs: the oldest finished Jobs past each history limit. */
export function jobsToPrune(cronJob: CronJob, jobs: Job[]): Job[] {
  const prune = (kind: Finished, limit: number | undefined) => {
    if (limit === undefined) return [];
    const finished = jobs.filter((job) => finishedAs(job) === kind && !job.metadata.deletionTimestamp);
    finished.sort((a, b) => startOf(a).localeCompare(startOf(b)));
    return finished.slice(0, Math.max(0, finished.length - limit));
  };
  return [
    ...prune("Complete", cronJob.spec.successfulJobsHistoryLimit),
    ...prune("Failed", cronJob.spec.failedJobsHistoryLimit),
  ];
}

export type ScheduleDecision =
  | { start: false; reason?: "NotYet" | "TooLate" | "Forbidden"; scheduled?: Date; next: Date }
  | { start: true; scheduled: Date; replace: boolean; next: Date };

/**
 * Whether a scheduled time is due now: the most recent one since the last schedule (or the CronJob's creation),
 * within startingDeadlineSeconds, and allowed by concurrencyPolicy given the Jobs still active.
 */
export function scheduleDecision(cronJob: CronJob, activeJobs: number, now: Date): ScheduleDecision {
  const { schedule, timeZone, startingDeadlineSeconds, concurrencyPolicy } = cronJob.spec;
  const next = nextScheduleTime(schedule, timeZone, now);
  let earliest = new Date(cronJob.status?.lastScheduleTime ?? cronJob.metadata.creationTimestamp ?? now.toISOString());
  if (startingDeadlineSeconds !== undefined) {
    const deadlineStart = new Date(now.getTime() - startingDeadlineSeconds * 1000);
    if (deadlineStart > earliest) earliest = deadlineStart;
  }
  const { time } = mostRecentScheduleTime(schedule, timeZone, earliest, now);
  if (!time) return { start: false, reason: "NotYet", next };
  if (startingDeadlineSeconds !== undefined && time.getTime() < now.getTime() - startingDeadlineSeconds * 1000) {
    return { start: false, reason: "TooLate", scheduled: time, next };
  }
  if (concurrencyPolicy === "Forbid" && activeJobs > 0)
    return { start: false, reason: "Forbidden", scheduled: time, next };
  return { start: true, scheduled: time, replace: concurrencyPolicy === "Replace" && activeJobs > 0, next };
}
