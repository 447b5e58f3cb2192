// The ReplicaSet controller's sync (upstream pkg/controller/replicaset/replica_set.go syncReplicaSet): claim the
// pods the selector matches, create or delete to reach spec.replicas, and write status.
import type { ReplicaSet, ReplicaSetStatus } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import { labelMatcherFromSelector, labelMatcherFromSet } from "../../api/selectors/labels.js";
import { deepEqual } from "../../api/validation/meta.js";
import {
  EventFailedCreate,
  EventFailedDelete,
  EventSuccessfulCreate,
  EventSuccessfulDelete,
} from "../../api/wellknown.js";
import type { Client, EventRecorder, Lister } from "../../client/index.js";
import { isNotFound } from "../../client/index.js";
import { claimObjects, controllerRef } from "../common/controllerref.js";
import type { Expectations } from "../common/expectations.js";
import { isPodActive, isPodAvailable, isPodReady, podsToDelete } from "./ranking.js";

/** upstream's burstReplicas: at most this many creates or deletes per sync. */
export const burstReplicas = 500;

export interface ReplicaSetSync {
  client: Client;
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  recorder: EventRecorder;
  expectations: Expectations;
  now?: () => Date;
}

/** A pod stamped from the set's template (upstream GetPodFromTemplate): generated name, controller reference. */
export function podFromTemplate(set: ReplicaSet): Pod {
  const template = structuredClone(set.spec.template);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      generateName: `${set.metadata.name ?? ""}-`,
      namespace: set.metadata.namespace,
      labels: template.metadata?.labels,
      annotations: template.metadata?.annotations,
      finalizers: template.metadata?.finalizers,
      ownerReferences: [controllerRef(set)],
    },
    spec: template.spec,
  };
}

/** upstream calculateStatus: counted among active, claimed pods. */
export function replicaSetStatus(set: ReplicaSet, active: Pod[], now: Date): ReplicaSetStatus {
  const templateLabels = labelMatcherFromSet(set.spec.template.metadata?.labels);
  return {
    ...set.status,
    replicas: active.length,
    fullyLabeledReplicas: active.filter((pod) => templateLabels.matches(pod.metadata.labels ?? {})).length,
    readyReplicas: active.filter(isPodReady).length,
    availableReplicas: active.filter((pod) => isPodAvailable(pod, set.spec.minReadySeconds ?? 0, now)).length,
    observedGeneration: set.metadata.generation,
  };
}

async function createPods(ctx: ReplicaSetSync, set: ReplicaSet, key: string, count: number): Promise<void> {
  ctx.expectations.expectCreations(key, count);
  let failure: unknown;
  for (let i = 0; i < count; i++) {
    try {
      const pod = await ctx.client.pods.create(podFromTemplate(set));
      ctx.recorder.event(set, "Normal", EventSuccessfulCreate, `Created pod: ${pod.metadata.name ?? ""}`);
    } catch (err) {
      // This pod will never be observed; the next sync tries again.
      ctx.expectations.creationObserved(key);
      ctx.recorder.event(set, "Warning", EventFailedCreate, `Error creating: ${errorText(err)}`);
      failure ??= err;
    }
  }
  if (failure) throw failure;
}

async function deletePods(ctx: ReplicaSetSync, set: ReplicaSet, key: string, pods: Pod[]): Promise<void> {
  ctx.expectations.expectDeletions(
    key,
    pods.map((pod) => pod.metadata.uid ?? ""),
  );
  for (const pod of pods) {
    const name = pod.metadata.name ?? "";
    try {
      await ctx.client.pods.delete(pod.metadata.namespace ?? "", name, { preconditions: { uid: pod.metadata.uid } });
      ctx.recorder.event(set, "Normal", EventSuccessfulDelete, `Deleted pod: ${name}`);
    } catch (err) {
      ctx.expectations.deletionObserved(key, pod.metadata.uid ?? "");
      if (isNotFound(err)) continue;
      ctx.recorder.event(set, "Warning", EventFailedDelete, `Error deleting: ${errorText(err)}`);
      throw err;
    }
  }
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Moves one ReplicaSet one round toward spec.replicas pods; safe to run any number of times. */
export async function syncReplicaSet(ctx: ReplicaSetSync, key: string): Promise<void> {
  const set = ctx.replicaSets.get(key);
  if (!set) {
    ctx.expectations.forget(key);
    return;
  }
  const namespace = set.metadata.namespace ?? "";
  const selector = labelMatcherFromSelector(set.spec.selector);
  const candidates = ctx.pods.list({ namespace }).filter(isPodActive);
  const active = await claimObjects(set, selector, candidates, (pod, patch) =>
    ctx.client.pods.patch(namespace, pod.metadata.name ?? "", "merge", patch),
  );
  if (ctx.expectations.satisfied(key) && !set.metadata.deletionTimestamp) {
    const diff = active.length - (set.spec.replicas ?? 1);
    if (diff < 0) await createPods(ctx, set, key, Math.min(-diff, burstReplicas));
    else if (diff > 0) await deletePods(ctx, set, key, podsToDelete(active, Math.min(diff, burstReplicas)));
  }
  const status = replicaSetStatus(set, active, ctx.now?.() ?? new Date());
  if (!deepEqual(status, set.status)) {
    try {
      await ctx.client.replicaSets.updateStatus({ ...set, status });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
