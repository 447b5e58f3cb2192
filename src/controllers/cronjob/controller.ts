// The CronJob controller (upstream pkg/controller/cronjob, the v2 controller): Jobs `<cronjob>-<minutes>` started on
// the schedule in spec.timeZone, startingDeadlineSeconds, concurrencyPolicy Allow/Forbid/Replace, suspend,
// successfulJobsHistoryLimit and failedJobsHistoryLimit, status.active/lastScheduleTime/lastSuccessfulTime. Each
// CronJob is re-queued for its next scheduled time. This file is the wiring; the sync is in sync.ts.
import type { Job } from "../../api/batch/types.js";
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, createEventRecorder, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { controllerOf } from "../common/controllerref.js";
import { syncCronJob } from "./sync.js";

export { syncCronJob } from "./sync.js";

export interface CronJobContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startCronJobController: StartLoop<CronJobContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { cronJobs, jobs } = informers;
  const recorder = createEventRecorder(client.events, { component: "cronjob-controller", log });
  const queue = new WorkQueue<string>({ name: "cronjob", log });
  const wake = (job: Job) => {
    const ref = controllerOf(job);
    if (ref?.kind === "CronJob") queue.add(`${job.metadata.namespace ?? ""}/${ref.name}`);
  };
  removeWhenAborted(signal, [
    cronJobs.onChange((cronJob) => queue.add(keyOf(cronJob))),
    jobs.onChange(wake),
    jobs.onDelete(wake),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => cronJobs.keys().forEach((key) => queue.add(key)));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const requeueAfter = (key: string, delayMs: number) => queue.addAfter(key, Math.max(0, delayMs));
  const sync = { client, cronJobs, jobs, recorder, requeueAfter };
  const workers = queue.work(signal, (key) => syncCronJob(sync, key), ctx.workers ?? 2);
  return { done: workers.then(() => recorder.flush()) };
};
