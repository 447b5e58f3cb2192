// The Job controller's sync (upstream pkg/controller/job syncJob): claim the pods the Job's selector matches, start or
// stop pods as decideJob says, record events, write status. Expectations keep a sync from counting a stale cache.
import type { Job } from "../../api/batch/types.js";
import type { Pod } from "../../api/core/types.js";
import { labelMatcherFromSelector } from "../../api/selectors/labels.js";
import { deepEqual } from "../../api/validation/meta.js";
import { EventFailedCreate, EventSuccessfulCreate, EventSuccessfulDelete } from "../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { isNotFound } from "../../client/index.js";
import { claimObjects, controllerRef } from "../common/controllerref.js";
import type { Expectations } from "../common/expectations.js";
import { decideJob } from "./decide.js";

export interface JobSync {
  client: Client;
  jobs: Lister<Job>;
  pods: Lister<Pod>;
  recorder: EventRecorder;
  expectations: Expectations;
  /** Comes back to a Job when its activeDeadlineSeconds would pass. */
  requeueAfter(key: string, delayMs: number): void;
  now?: () => Date;
}

/** A pod of the Job's template: generated name `<job>-`, the Job as its controller. */
export function podForJob(job: Job): Pod {
  const template = structuredClone(job.spec.template);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${job.metadata.name ?? ""}-`,
      namespace: job.metadata.namespace,
      labels: template.metadata?.labels,
      annotations: template.metadata?.annotations,
      ownerReferences: [controllerRef(job)],
    },
    spec: template.spec,
  };
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function createPods(ctx: JobSync, job: Job, key: string, count: number): Promise<void> {
  ctx.expectations.expectCreations(key, count);
  for (let i = 0; i < count; i++) {
    try {
      const pod = await ctx.client.pods.create(podForJob(job));
      ctx.recorder.event(job, "Normal", EventSuccessfulCreate, `Created pod: ${pod.metadata.name ?? ""}`);
    } catch (err) {
      ctx.expectations.creationObserved(key);
      ctx.recorder.event(job, "Warning", EventFailedCreate, `Error creating: ${errorText(err)}`);
      throw err;
    }
  }
}

async function deletePods(ctx: JobSync, job: Job, key: string, pods: Pod[]): Promise<void> {
  ctx.expectations.expectDeletions(
    key,
    pods.map((pod) => pod.metadata.uid ?? ""),
  );
  for (const pod of pods) {
    try {
      await ctx.client.pods.delete(pod.metadata.namespace ?? "", pod.metadata.name ?? "", {
        preconditions: { uid: pod.metadata.uid },
      });
      ctx.recorder.event(job, "Normal", EventSuccessfulDelete, `Deleted pod: ${pod.metadata.name ?? ""}`);
    } catch (err) {
      ctx.expectations.deletionObserved(key, pod.metadata.uid ?? "");
      if (!isNotFound(err)) throw err;
    }
  }
}

/** Moves one Job one round toward done; safe to run any number of times. */
export async function syncJob(ctx: JobSync, key: string): Promise<void> {
  const job = ctx.jobs.get(key);
  if (!job) {
    ctx.expectations.forget(key);
    return;
  }
  if (job.metadata.deletionTimestamp || !ctx.expectations.satisfied(key)) return;
  const namespace = job.metadata.namespace ?? "";
  const pods = await claimObjects(
    job,
    labelMatcherFromSelector(job.spec.selector),
    ctx.pods.list({ namespace }),
    (pod, patch) => ctx.client.pods.patch(namespace, pod.metadata.name ?? "", "merge", patch),
  );
  const now = ctx.now?.() ?? new Date();
  const decision = decideJob(job, pods, now);
  if (decision.remove.length) await deletePods(ctx, job, key, decision.remove);
  if (decision.create > 0) await createPods(ctx, job, key, decision.create);
  for (const [type, reason, message] of decision.events) ctx.recorder.event(job, type, reason, message);
  const deadline = job.spec.activeDeadlineSeconds;
  const started = Date.parse(decision.status.startTime ?? "");
  if (deadline !== undefined && Number.isFinite(started)) {
    ctx.requeueAfter(key, Math.max(0, started + deadline * 1000 - now.getTime()) + 500);
  }
  if (deepEqual(decision.status, job.status ?? {})) return;
  try {
    await ctx.client.jobs.updateStatus({ ...job, status: decision.status });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
