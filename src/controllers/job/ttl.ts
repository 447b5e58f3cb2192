// The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished): a finished Job with
// ttlSecondsAfterFinished is deleted that many seconds after its Complete or Failed condition, its pods with it
// (foreground deletion, as upstream). Runs as its own loop with upstream's ttl-after-finished-controller identity.
import type { Job } from "../../api/batch/types.js";
import type { StartLoop } from "../../client/index.js";
import { WorkQueue, every, isNotFound, keyOf, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";

/** Milliseconds until the Job expires (<= 0: it has), or undefined when it never does. */
export function expiresIn(job: Job, now: Date): number | undefined {
  const ttl = job.spec.ttlSecondsAfterFinished;
  if (ttl === undefined || job.metadata.deletionTimestamp) return undefined;
  const finished = (job.status?.conditions ?? []).find(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  );
  const at = Date.parse(finished?.lastTransitionTime ?? "");
  return Number.isFinite(at) ? at + ttl * 1000 - now.getTime() : undefined;
}

export const startTTLAfterFinishedController: StartLoop<LoopContext & { resyncPeriodMs?: number }> = async (
  ctx,
  signal,
) => {
  const { client, informers, log } = ctx;
  const { jobs } = informers;
  const queue = new WorkQueue<string>({ name: "ttl-after-finished", log });
  removeWhenAborted(signal, [jobs.onChange((job) => queue.add(keyOf(job)))]);
  every(ctx.resyncPeriodMs ?? 0, signal, () => jobs.keys().forEach((key) => queue.add(key)));
  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const sync = async (key: string) => {
    const job = jobs.get(key);
    const left = job && expiresIn(job, new Date());
    if (!job || left === undefined) return;
    if (left > 0) return queue.addAfter(key, left + 100);
    try {
      await client.jobs.delete(job.metadata.namespace ?? "", job.metadata.name ?? "", {
        propagationPolicy: "Foreground",
        preconditions: { uid: job.metadata.uid },
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  };
  return { done: queue.work(signal, sync, 1) };
};
