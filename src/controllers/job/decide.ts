// What a Job does next (upstream pkg/controller/job/job_controller.go syncJob), as a pure function of the Job and its
// pods: how many pods to start, which to stop, and the status with its conditions. Success: `completions` pods
// Succeeded (or, with completions unset, one Succeeded and none running); failure: more failed pods than
// backoffLimit, or longer active than activeDeadlineSeconds. As upstream since 1.31, a Job first gets the interim
// condition (SuccessCriteriaMet, FailureTarget), stops what still runs, and only then Complete or Failed.
import type { Job, JobCondition, JobStatus } from "../../api/batch/types.js";
import type { Pod } from "../../api/core/types.js";

export interface JobDecision {
  create: number;
  remove: Pod[];
  status: JobStatus;
  /** Events to record on the Job: [type, reason, message]. */
  events: ["Normal" | "Warning", string, string][];
}

const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

export const isFinished = (job: Job): boolean =>
  (job.status?.conditions ?? []).some((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");

const conditionOf = (status: JobStatus, type: JobCondition["type"]) =>
  (status.conditions ?? []).find((c) => c.type === type);

function setCondition(
  status: JobStatus,
  type: JobCondition["type"],
  value: JobCondition["status"],
  reason: string,
  message: string,
  now: Date,
) {
  const current = conditionOf(status, type);
  if (current?.status === value && current.reason === reason) return;
  const at = rfc3339(now);
  const condition: JobCondition = { type, status: value, reason, message, lastProbeTime: at, lastTransitionTime: at };
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== type), condition];
}

const isTerminal = (pod: Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
const isReady = (pod: Pod) => (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

/**
 * upstream pastBackoffLimitOnFailure: with restartPolicy OnFailure a failing container restarts inside its pod, so
 * the restarts of the running and pending pods count against backoffLimit.
 */
export function pastBackoffLimitOnFailure(job: Job, pods: Pod[]): boolean {
  if (job.spec.template.spec.restartPolicy !== "OnFailure") return false;
  let restarts = 0;
  for (const pod of pods) {
    if (pod.status?.phase !== "Running" && pod.status?.phase !== "Pending") continue;
    for (const s of [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])]) {
      restarts += s.restartCount ?? 0;
    }
  }
  const limit = job.spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Why the Job fails, if it does: [reason, message] as upstream. */
function failure(job: Job, status: JobStatus, failed: number, active: Pod[], now: Date): [string, string] | undefined {
  const existing = conditionOf(status, "FailureTarget");
  if (existing?.status === "True") return [existing.reason ?? "", existing.message ?? ""];
  if (failed > (job.spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, active)) {
    return ["BackoffLimitExceeded", "Job has reached the specified backoff limit"];
  }
  const deadline = job.spec.activeDeadlineSeconds;
  const started = Date.parse(status.startTime ?? "");
  if (deadline !== undefined && Number.isFinite(started) && now.getTime() - started >= deadline * 1000) {
    return ["DeadlineExceeded", "Job was active longer than specified deadline"];
  }
  return undefined;
}

/** One round of a Job over its (claimed) pods. */
export function decideJob(job: Job, pods: Pod[], now: Date): JobDecision {
  const status: JobStatus = structuredClone(job.status ?? {});
  const decision: JobDecision = { create: 0, remove: [], status, events: [] };
  const active = pods.filter((pod) => !isTerminal(pod) && !pod.metadata.deletionTimestamp);
  const terminating = pods.filter((pod) => !isTerminal(pod) && pod.metadata.deletionTimestamp).length;
  // Pods are the record; counts never go down when a finished pod is deleted by hand.
  const succeeded = Math.max(status.succeeded ?? 0, pods.filter((pod) => pod.status?.phase === "Succeeded").length);
  const failed = Math.max(status.failed ?? 0, pods.filter((pod) => pod.status?.phase === "Failed").length);
  Object.assign(status, {
    succeeded,
    failed,
    terminating,
    ready: active.filter(isReady).length,
    active: active.length,
  });
  if (isFinished(job)) return { ...decision, remove: active };

  const suspended = job.spec.suspend === true;
  if (suspended) {
    setCondition(status, "Suspended", "True", "JobSuspended", "Job suspended", now);
    return { ...decision, remove: active, status: { ...status, active: 0 } };
  }
  if (conditionOf(status, "Suspended")?.status === "True") {
    setCondition(status, "Suspended", "False", "JobResumed", "Job resumed", now);
    status.startTime = rfc3339(now); // upstream restarts the deadline's clock on resume
  }
  status.startTime ??= rfc3339(now);

  const failedBecause = failure(job, status, failed, active, now);
  const completions = job.spec.completions;
  const complete = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions;
  const finishing: [JobCondition["type"], JobCondition["type"], string, string] | undefined = failedBecause
    ? ["FailureTarget", "Failed", ...failedBecause]
    : complete
      ? ["SuccessCriteriaMet", "Complete", "CompletionsReached", "Reached expected number of succeeded pods"]
      : undefined;
  if (finishing) {
    const [interim, final, reason, message] = finishing;
    setCondition(status, interim, "True", reason, message, now);
    // The terminal condition waits until no pod of the Job runs any more.
    if (active.length === 0 && terminating === 0) {
      setCondition(status, final, "True", reason, message, now);
      if (final === "Complete") {
        status.completionTime = rfc3339(now);
        decision.events.push(["Normal", "Completed", "Job completed"]);
      } else decision.events.push(["Warning", reason, message]);
    }
    return { ...decision, remove: active, status: { ...status, active: 0, ready: 0 } };
  }

  // A work queue (completions unset) that has seen a success leaves whatever runs, running (as upstream).
  const parallelism = job.spec.parallelism ?? 1;
  const wanted =
    completions === undefined
      ? succeeded > 0
        ? active.length
        : parallelism
      : Math.min(parallelism, completions - succeeded);
  const diff = wanted - active.length;
  if (diff > 0) return { ...decision, create: diff, status: { ...status, active: wanted } };
  return { ...decision, remove: active.slice(wanted), status: { ...status, active: Math.min(active.length, wanted) } };
}
