// The Job controller (upstream pkg/controller/job), NonIndexed Jobs: pods from the template up to parallelism until
// `completions` succeed; failed pods counted against backoffLimit (re-created at once, without upstream's backoff
// delay); activeDeadlineSeconds; suspend and resume. Counts are read from the pods the Job keeps (upstream's
// tracking finalizers are not used). This file is the wiring; the decisions are in decide.ts, the sync in sync.ts.
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, createEventRecorder, every, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { Expectations } from "../common/expectations.js";
import { watchOwnedPods } from "../common/ownedpods.js";
import { syncJob } from "./sync.js";

export { syncJob } from "./sync.js";

export interface JobContext extends LoopContext {
  workers?: number;
  resyncPeriodMs?: number;
}

export const startJobController: StartLoop<JobContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const { jobs, pods } = informers;
  const recorder = createEventRecorder(client.events, { component: "job-controller", log });
  const queue = new WorkQueue<string>({ name: "job", log });
  const expectations = new Expectations();

  removeWhenAborted(signal, [
    jobs.onChange((job) => queue.add(keyOf(job))),
    jobs.onDelete((job) => expectations.forget(keyOf(job))),
    ...watchOwnedPods(pods, "Job", expectations, (key) => queue.add(key)),
  ]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => jobs.keys().forEach((key) => queue.add(key)));

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const requeueAfter = (key: string, delayMs: number) => queue.addAfter(key, delayMs);
  const sync = { client, jobs, pods, recorder, expectations, requeueAfter };
  const workers = queue.work(signal, (key) => syncJob(sync, key), ctx.workers ?? 2);
  return { done: workers.then(() => recorder.flush()) };
};
