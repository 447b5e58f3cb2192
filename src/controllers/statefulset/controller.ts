// The StatefulSet controller (upstream pkg/controller/statefulset) for what stowage's seeds use: pods
// `<set>-<ordinal>` created in order (OrderedReady) or all at once (Parallel), each with its claims from
// volumeClaimTemplates created first and reused when the pod comes back, scale up/down highest ordinal first,
// persistentVolumeClaimRetentionPolicy through owner references (the garbage collector deletes), and status.
// Not supported: rolling updates of a changed template (no ControllerRevisions: pods keep their template until
// deleted, i.e. OnDelete behaviour), adoption of orphan pods, minReadySeconds.
import type { StatefulSet } from "../../api/apps/types.js";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import {
  EventFailedCreate,
  EventFailedDelete,
  EventSuccessfulCreate,
  EventSuccessfulDelete,
} from "../../api/wellknown.js";
import type { Client, EventRecorder, Informer } from "../../client/index.js";
import { isAlreadyExists, isNotFound, keyOf, WorkQueue } from "../../client/index.js";
import type { Log } from "../common/run.js";
import { every, runWorkers } from "../common/run.js";
import {
  claimName,
  claimOwnerReferences,
  isControlledBy,
  newClaim,
  newPod,
  ordinalOf,
  podName,
  startOrdinal,
} from "./identity.js";
import type { PodState } from "./ordering.js";
import { decide } from "./ordering.js";

export interface StatefulSetControllerOptions {
  client: Client;
  statefulSets: Informer<StatefulSet>;
  pods: Informer<Pod>;
  claims: Informer<PersistentVolumeClaim>;
  recorder: EventRecorder;
  workers?: number;
  resyncPeriodMs?: number;
  log: Log;
}

export function isRunningAndReady(pod: Pod): boolean {
  return (
    pod.status?.phase === "Running" &&
    (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

export function podState(pod: Pod): Exclude<PodState, "Missing"> {
  if (pod.metadata.deletionTimestamp) return "Terminating";
  if (pod.status?.phase === "Failed") return "Failed";
  return isRunningAndReady(pod) ? "RunningReady" : "Pending";
}

/** The set a pod belongs to, from its controller reference. */
function ownerSetKey(pod: Pod): string | undefined {
  const ref = (pod.metadata.ownerReferences ?? []).find((r) => r.controller && r.kind === "StatefulSet");
  return ref ? `${pod.metadata.namespace ?? ""}/${ref.name}` : undefined;
}

export function startStatefulSetController(options: StatefulSetControllerOptions, signal: AbortSignal): Promise<void> {
  const { client, statefulSets, pods, claims, recorder, log } = options;
  const queue = new WorkQueue<string>({ name: "statefulset", log });
  const enqueuePod = (pod: Pod) => {
    const key = ownerSetKey(pod);
    if (key) queue.add(key);
  };
  const offs = [
    statefulSets.onChange((set) => queue.add(keyOf(set))),
    pods.onChange(enqueuePod),
    pods.onDelete(enqueuePod),
    // A claim of ours deleted or changed (e.g. bound) may need re-creating or new owner references.
    claims.onChange((claim) => {
      for (const ref of claim.metadata.ownerReferences ?? [])
        if (ref.kind === "StatefulSet") queue.add(`${claim.metadata.namespace ?? ""}/${ref.name}`);
    }),
  ];
  signal.addEventListener("abort", () => offs.forEach((off) => off()), { once: true });
  every(options.resyncPeriodMs ?? 0, signal, () => statefulSets.keys().forEach((key) => queue.add(key)));

  const claimOf = (namespace: string, name: string) => claims.get(`${namespace}/${name}`);

  /** Creates the pod's missing claims (upstream createPersistentVolumeClaims): claims first, then the pod. */
  async function ensureClaims(set: StatefulSet, ordinal: number): Promise<void> {
    const namespace = set.metadata.namespace ?? "";
    const templates = set.spec.volumeClaimTemplates ?? [];
    for (let i = 0; i < templates.length; i++) {
      const name = claimName(set, templates[i]?.metadata.name ?? "", ordinal);
      const existing = claimOf(namespace, name);
      if (existing) {
        // A claim still being deleted (e.g. scaled away with whenScaled=Delete) cannot be reused: wait it out.
        if (existing.metadata.deletionTimestamp)
          throw new Error(`claim ${name} is being deleted; pod ${podName(set, ordinal)} waits`);
        continue;
      }
      const claim = newClaim(set, i, ordinal);
      claim.metadata.ownerReferences = claimOwnerReferences(claim, set, undefined, false);
      try {
        await client.persistentVolumeClaims.create(claim);
        recorder.event(
          set,
          "Normal",
          EventSuccessfulCreate,
          `create Claim ${name} Pod ${podName(set, ordinal)} in StatefulSet ${set.metadata.name} success`,
        );
      } catch (err) {
        if (isAlreadyExists(err)) continue; // the cache lags our own create
        recorder.event(
          set,
          "Warning",
          EventFailedCreate,
          `create Claim ${name} for Pod ${podName(set, ordinal)} in StatefulSet ${set.metadata.name} failed error: ${String(err instanceof Error ? err.message : err)}`,
        );
        throw err;
      }
    }
  }

  /** Brings each claim's owner references in line with the retention policy (before any pod is deleted). */
  async function updateClaimOwners(set: StatefulSet, pod: Pod, scaledAway: boolean, ordinal: number) {
    const namespace = set.metadata.namespace ?? "";
    for (const template of set.spec.volumeClaimTemplates ?? []) {
      const claim = claimOf(namespace, claimName(set, template.metadata.name ?? "", ordinal));
      if (!claim || claim.metadata.deletionTimestamp) continue;
      const refs = claimOwnerReferences(claim, set, pod, scaledAway);
      if (!refs) continue;
      const next = structuredClone(claim) as PersistentVolumeClaim;
      next.metadata.ownerReferences = refs;
      await client.persistentVolumeClaims.update(next);
    }
  }

  async function createPod(set: StatefulSet, ordinal: number): Promise<void> {
    await ensureClaims(set, ordinal);
    const pod = newPod(set, ordinal);
    try {
      await client.pods.create(pod);
      recorder.event(
        set,
        "Normal",
        EventSuccessfulCreate,
        `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
      );
    } catch (err) {
      if (isAlreadyExists(err)) return;
      recorder.event(
        set,
        "Warning",
        EventFailedCreate,
        `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${String(err instanceof Error ? err.message : err)}`,
      );
      throw err;
    }
  }

  async function deletePod(set: StatefulSet, pod: Pod): Promise<void> {
    try {
      await client.pods.delete(pod.metadata.namespace ?? "", pod.metadata.name ?? "", {
        preconditions: { uid: pod.metadata.uid },
      });
      recorder.event(
        set,
        "Normal",
        EventSuccessfulDelete,
        `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`,
      );
    } catch (err) {
      if (isNotFound(err)) return;
      recorder.event(
        set,
        "Warning",
        EventFailedDelete,
        `delete Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${String(err instanceof Error ? err.message : err)}`,
      );
      throw err;
    }
  }

  async function updateStatus(set: StatefulSet, owned: Pod[]): Promise<void> {
    const replicas = owned.length;
    const ready = owned.filter(isRunningAndReady).length;
    const status = {
      ...set.status,
      observedGeneration: set.metadata.generation,
      replicas,
      readyReplicas: ready,
      // No revisions: every pod is of the current (and update) revision.
      currentReplicas: replicas,
      updatedReplicas: replicas,
      availableReplicas: ready,
    };
    const old = set.status;
    if (
      old &&
      old.observedGeneration === status.observedGeneration &&
      old.replicas === status.replicas &&
      old.readyReplicas === status.readyReplicas &&
      old.currentReplicas === status.currentReplicas &&
      old.updatedReplicas === status.updatedReplicas &&
      old.availableReplicas === status.availableReplicas
    )
      return;
    const next = structuredClone(set) as StatefulSet;
    next.status = status;
    try {
      await client.statefulSets.updateStatus(next);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async function sync(key: string): Promise<void> {
    const set = statefulSets.get(key);
    if (!set || set.metadata.deletionTimestamp) return; // the garbage collector removes its pods
    const namespace = set.metadata.namespace ?? "";
    const owned = pods
      .list({ namespace })
      .filter((pod) => isControlledBy(pod, set) && ordinalOf(set, pod) !== undefined);
    const byOrdinal = new Map<number, Pod>();
    for (const pod of owned) byOrdinal.set(ordinalOf(set, pod) ?? -1, pod);
    const start = startOrdinal(set);
    const replicas = set.spec.replicas ?? 1;
    const inRange = (ordinal: number) => ordinal >= start && ordinal < start + replicas;

    // Owner references first: a condemned pod's claims must point at it before it is deleted (whenScaled).
    for (const [ordinal, pod] of byOrdinal) {
      if (!pod.metadata.deletionTimestamp) await updateClaimOwners(set, pod, !inRange(ordinal), ordinal);
    }

    const states = new Map([...byOrdinal].map(([ordinal, pod]) => [ordinal, podState(pod)]));
    const decision = decide(set.spec.podManagementPolicy ?? "OrderedReady", start, replicas, states);
    for (const ordinal of decision.delete) {
      const pod = byOrdinal.get(ordinal);
      if (pod) await deletePod(set, pod);
    }
    for (const ordinal of decision.create) await createPod(set, ordinal);
    await updateStatus(set, owned);
  }

  return runWorkers(queue, signal, options.workers ?? 2, sync, log);
}
