// A Deployment's ReplicaSets (upstream pkg/controller/deployment/sync.go getNewReplicaSet and
// util/deployment_util.go): which set runs the current template, the revision annotations that order them for
// `kubectl rollout history|undo`, and the set a new template gets.
import type { Deployment, ReplicaSet } from "../../api/apps/types.js";
import { LastAppliedConfigAnnotation } from "../../api/wellknown.js";
import { controllerRef } from "../common/controllerref.js";
import { DefaultDeploymentUniqueLabelKey, computeHash, equalIgnoreHash } from "./hash.js";
import { maxSurge, oldestFirst } from "./rolling.js";

export const RevisionAnnotation = "deployment.kubernetes.io/revision";
export const RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history";
export const DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas";
export const MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";

/** Annotations a Deployment keeps to itself (upstream annotationsToSkip). */
const notCopied = new Set([
  LastAppliedConfigAnnotation,
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
  "deprecated.deployment.rollback.to",
]);

export const revisionOf = (object: { metadata: { annotations?: Record<string, string> } }): number => {
  const value = Number.parseInt(object.metadata.annotations?.[RevisionAnnotation] ?? "", 10);
  return Number.isFinite(value) ? value : 0;
};

/** The set whose template is the Deployment's (the oldest, should two be). */
export function findNewReplicaSet(deployment: Deployment, sets: ReplicaSet[]): ReplicaSet | undefined {
  return oldestFirst(sets).find((set) => equalIgnoreHash(set.spec.template, deployment.spec.template));
}

/** The Deployment's annotations copied to a set (e.g. kubernetes.io/change-cause for rollout history). */
export function copiedAnnotations(deployment: Deployment): Record<string, string> {
  return Object.fromEntries(
    Object.entries(deployment.metadata.annotations ?? {}).filter(([key]) => !notCopied.has(key)),
  );
}

/** desired-replicas and max-replicas: how big the Deployment was when it last sized this set. */
export function replicasAnnotations(deployment: Deployment): Record<string, string> {
  const desired = deployment.spec.replicas ?? 1;
  return {
    [DesiredReplicasAnnotation]: String(desired),
    [MaxReplicasAnnotation]: String(desired + maxSurge(deployment)),
  };
}

/** upstream's new ReplicaSet: `<deployment>-<hash>`, selector and template labels narrowed by pod-template-hash. */
export function newReplicaSet(deployment: Deployment, replicas: number, revision: number): ReplicaSet {
  const template = structuredClone(deployment.spec.template);
  const hash = computeHash(template, deployment.status?.collisionCount);
  const labels = { ...template.metadata?.labels, [DefaultDeploymentUniqueLabelKey]: hash };
  template.metadata = { ...template.metadata, labels };
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: `${deployment.metadata.name ?? ""}-${hash}`,
      namespace: deployment.metadata.namespace,
      labels,
      annotations: {
        ...copiedAnnotations(deployment),
        ...replicasAnnotations(deployment),
        [RevisionAnnotation]: String(revision),
      },
      ownerReferences: [controllerRef(deployment)],
    },
    spec: {
      replicas,
      minReadySeconds: deployment.spec.minReadySeconds,
      selector: {
        ...deployment.spec.selector,
        matchLabels: { ...deployment.spec.selector.matchLabels, [DefaultDeploymentUniqueLabelKey]: hash },
      },
      template,
    },
  };
}

/**
 * The new set brought up to date (upstream getNewReplicaSet on an existing set): the next revision when an old
 * template comes back (`kubectl rollout undo`), the Deployment's annotations, its minReadySeconds. Undefined when
 * nothing changes.
 */
export function updatedNewReplicaSet(
  deployment: Deployment,
  set: ReplicaSet,
  revision: number,
): ReplicaSet | undefined {
  const annotations = { ...set.metadata.annotations, ...copiedAnnotations(deployment) };
  const previous = revisionOf(set);
  if (previous < revision) {
    annotations[RevisionAnnotation] = String(revision);
    if (previous > 0) {
      const history = set.metadata.annotations?.[RevisionHistoryAnnotation];
      annotations[RevisionHistoryAnnotation] = history ? `${history},${previous}` : String(previous);
    }
  }
  const minReadySeconds = deployment.spec.minReadySeconds;
  const sameAnnotations = JSON.stringify(annotations) === JSON.stringify(set.metadata.annotations ?? {});
  if (sameAnnotations && set.spec.minReadySeconds === minReadySeconds) return undefined;
  return { ...set, metadata: { ...set.metadata, annotations }, spec: { ...set.spec, minReadySeconds } };
}

/**
 * upstream cleanupDeployment: old sets scaled to nothing beyond revisionHistoryLimit, lowest revision first. A set
 * still holding pods or not yet observed is kept.
 */
export function replicaSetsToPrune(deployment: Deployment, old: ReplicaSet[]): ReplicaSet[] {
  const limit = deployment.spec.revisionHistoryLimit;
  if (limit === undefined) return [];
  const cleanable = old.filter((set) => !set.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return [];
  return [...cleanable]
    .sort((a, b) => revisionOf(a) - revisionOf(b))
    .slice(0, diff)
    .filter(
      (set) =>
        (set.spec.replicas ?? 0) === 0 &&
        (set.status?.replicas ?? 0) === 0 &&
        (set.status?.observedGeneration ?? 0) >= (set.metadata.generation ?? 0),
    );
}
