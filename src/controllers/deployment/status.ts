// A Deployment's status and conditions (upstream pkg/controller/deployment/sync.go calculateStatus, progress.go
// syncRolloutStatus, util/deployment_util.go): counts summed over its ReplicaSets, Available from maxUnavailable,
// Progressing from the rollout's movement and spec.progressDeadlineSeconds — the fields `kubectl rollout status`
// reads.
import type { Deployment, DeploymentStatus, ReplicaSet, WorkloadCondition } from "../../api/apps/types.js";
import { maxUnavailable } from "./rolling.js";

export const DeploymentAvailable = "Available";
export const DeploymentProgressing = "Progressing";
// Reasons, as upstream's deployment util constants (users search for these).
export const NewReplicaSetReason = "NewReplicaSetCreated";
export const FoundNewRSReason = "FoundNewReplicaSet";
export const ReplicaSetUpdatedReason = "ReplicaSetUpdated";
export const NewRSAvailableReason = "NewReplicaSetAvailable";
export const TimedOutReason = "ProgressDeadlineExceeded";
export const PausedDeployReason = "DeploymentPaused";
export const ResumedDeployReason = "DeploymentResumed";
export const MinimumReplicasAvailable = "MinimumReplicasAvailable";
export const MinimumReplicasUnavailable = "MinimumReplicasUnavailable";

export const conditionOf = (status: DeploymentStatus | undefined, type: string): WorkloadCondition | undefined =>
  (status?.conditions ?? []).find((c) => c.type === type);

/**
 * upstream SetDeploymentCondition: a condition with the same status and reason is left alone; the same status
 * keeps its lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, condition: WorkloadCondition): void {
  const current = conditionOf(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function newCondition(
  type: string,
  status: WorkloadCondition["status"],
  reason: string,
  message: string,
  now: Date,
): WorkloadCondition {
  const at = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  return { type, status, lastUpdateTime: at, lastTransitionTime: at, reason, message };
}

const sum = (sets: ReplicaSet[], f: (set: ReplicaSet) => number | undefined) =>
  sets.reduce((n, set) => n + (f(set) ?? 0), 0);

/** upstream calculateStatus: counts from the sets' status, and the Available condition. */
export function calculateStatus(
  deployment: Deployment,
  all: ReplicaSet[],
  newSet: ReplicaSet | undefined,
  now: Date,
): DeploymentStatus {
  const available = sum(all, (set) => set.status?.availableReplicas);
  const total = sum(all, (set) => set.status?.replicas);
  const status: DeploymentStatus = {
    observedGeneration: deployment.metadata.generation,
    replicas: total,
    updatedReplicas: newSet?.status?.replicas ?? 0,
    readyReplicas: sum(all, (set) => set.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    conditions: structuredClone(deployment.status?.conditions ?? []),
  };
  if (deployment.status?.collisionCount !== undefined) status.collisionCount = deployment.status.collisionCount;
  if (!status.conditions?.length) delete status.conditions;
  const minAvailable = (deployment.spec.replicas ?? 1) - maxUnavailable(deployment);
  setCondition(
    status,
    available >= minAvailable
      ? newCondition(DeploymentAvailable, "True", MinimumReplicasAvailable, "Deployment has minimum availability.", now)
      : newCondition(
          DeploymentAvailable,
          "False",
          MinimumReplicasUnavailable,
          "Deployment does not have minimum availability.",
          now,
        ),
  );
  return status;
}

/** upstream DeploymentComplete: every replica updated and available, and the newest spec observed. */
export function deploymentComplete(deployment: Deployment, status: DeploymentStatus): boolean {
  const desired = deployment.spec.replicas ?? 1;
  return (
    status.updatedReplicas === desired &&
    status.replicas === desired &&
    status.availableReplicas === desired &&
    (status.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 0)
  );
}

/** upstream DeploymentProgressing: more updated, fewer old, more ready or more available than last time. */
export function deploymentProgressing(deployment: Deployment, status: DeploymentStatus): boolean {
  const old = deployment.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
  return (
    (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

/** Milliseconds until the progress deadline passes (<= 0: it has); undefined without a deadline to watch. */
export function progressDeadlineIn(deployment: Deployment, status: DeploymentStatus, now: Date): number | undefined {
  const deadline = deployment.spec.progressDeadlineSeconds;
  const condition = conditionOf(status, DeploymentProgressing);
  if (deadline === undefined || !condition || condition.reason === TimedOutReason) return undefined;
  const from = Date.parse(condition.lastUpdateTime ?? condition.lastTransitionTime ?? "");
  if (!Number.isFinite(from)) return undefined;
  return from + deadline * 1000 - now.getTime();
}

/** upstream syncRolloutStatus's conditions: the Progressing condition for this round. */
export function rolloutStatus(
  deployment: Deployment,
  all: ReplicaSet[],
  newSet: ReplicaSet | undefined,
  now: Date,
): DeploymentStatus {
  const status = calculateStatus(deployment, all, newSet, now);
  if (deployment.spec.progressDeadlineSeconds === undefined) {
    status.conditions = (status.conditions ?? []).filter((c) => c.type !== DeploymentProgressing);
    return status;
  }
  const current = conditionOf(status, DeploymentProgressing);
  const complete = status.replicas === status.updatedReplicas && current?.reason === NewRSAvailableReason;
  if (complete || deployment.spec.paused) return status;
  const name = newSet?.metadata.name ?? "";
  if (deploymentComplete(deployment, status)) {
    const message = `ReplicaSet "${name}" has successfully progressed.`;
    setCondition(status, newCondition(DeploymentProgressing, "True", NewRSAvailableReason, message, now));
  } else if (deploymentProgressing(deployment, status)) {
    // Progress moves lastUpdateTime (the deadline counts from it) but keeps lastTransitionTime.
    const message = `ReplicaSet "${name}" is progressing.`;
    const next = newCondition(DeploymentProgressing, "True", ReplicaSetUpdatedReason, message, now);
    if (current?.status === "True") next.lastTransitionTime = current.lastTransitionTime;
    status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== DeploymentProgressing), next];
  } else if ((progressDeadlineIn(deployment, status, now) ?? 1) <= 0) {
    const message = `ReplicaSet "${name}" has timed out progressing.`;
    setCondition(status, newCondition(DeploymentProgressing, "False", TimedOutReason, message, now));
  }
  return status;
}
