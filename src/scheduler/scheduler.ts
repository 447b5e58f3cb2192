// The scheduler: pods with no node and schedulerName default-scheduler (or none) go through one scheduling cycle
// at a time (filters over every node, pick one, assume), then an asynchronous binding cycle (volumes, then the
// pods/binding subresource), as kube-scheduler's scheduleOne. Pods no node can take get PodScheduled=False
// (Unschedulable) and a FailedScheduling event with upstream's message, and are tried again when something they
// could be waiting for changes (PVs, claims, classes, nodes, CSINodes, CSIDrivers, CSIStorageCapacities) and on
// a backoff of 1 s doubling to 60 s (upstream waits up to 5 min without an event; we retry sooner).
import { setMaxListeners } from "node:events";
import type { Node, Pod, PodCondition } from "../api/core/types.js";
import { EventFailedScheduling, EventScheduled } from "../api/wellknown.js";
import type { Client, EventRecorder, InformerFactory } from "../client/index.js";
import { WorkQueue, createEventRecorder, createInformerFactory, isNotFound, keyOf } from "../client/index.js";
import { BindingError, ClaimWaiters, PodGoneError, bindPod, bindPodVolumes } from "./binding.js";
import { SchedulerCache } from "./cache.js";
import { fitErrorMessage } from "./fiterror.js";
import type { FilterStatus } from "./filters.js";
import { filterNodeAffinity, filterNodeUnschedulable, filterTaintToleration } from "./filters.js";
import type { PodClaims, VolumePlan } from "./volumebinding.js";
import { claimKey, filterVolumes, podClaimNames, preFilterVolumes } from "./volumebinding.js";
import { filterVolumeLimits } from "./volumelimits.js";
import { filterReadWriteOncePod } from "./volumerestrictions.js";

export const DefaultSchedulerName = "default-scheduler";
export const MsgNoNodesAvailable = "no nodes available to schedule pods";

import type { Log } from "../support/log.js";

export interface SchedulerOptions {
  client: Client;
  /** Aborting it stops scheduling and abandons waiting binding cycles. */
  signal: AbortSignal;
  /** Share informers with other loops of the process; default a factory of its own. */
  informers?: InformerFactory;
  schedulerName?: string;
  /** How long a binding cycle waits for its claims to be bound (upstream's bindTimeoutSeconds: 600). */
  bindTimeoutMs?: number;
  /** Longest wait between retries of an unschedulable pod. */
  maxBackoffMs?: number;
  log?: Log;
}

export interface Scheduler {
  /** Resolves once the informers have synced and scheduling runs. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Pods this scheduler is responsible for and that still need a node. */
export function needsScheduling(pod: Pod, schedulerName = DefaultSchedulerName): boolean {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp) return false;
  if ((pod.spec.schedulerName || DefaultSchedulerName) !== schedulerName) return false;
  return pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}

interface Feasible {
  node: Node;
  plan: VolumePlan;
}

/** Runs every filter in upstream's default-profile order; the first that rejects the node decides its reasons. */
function filterNode(
  cache: SchedulerCache,
  pod: Pod,
  claims: PodClaims,
  readWriteOncePod: FilterStatus | undefined,
  node: Node,
) {
  const name = node.metadata.name ?? "";
  const status =
    filterNodeUnschedulable(pod, node) ??
    filterTaintToleration(pod, node) ??
    filterNodeAffinity(pod, node) ??
    readWriteOncePod ??
    filterVolumeLimits(cache, pod, cache.csiNodes.get(name), cache.podsOn(name));
  if (status) return { status };
  return filterVolumes(cache, claims, node);
}

export async function startScheduler(options: SchedulerOptions): Promise<Scheduler> {
  const { client } = options;
  const stopping = new AbortController();
  const signal = AbortSignal.any([options.signal, stopping.signal]);
  setMaxListeners(0, signal); // every informer, timer and waiting binding listens on it
  const log: Log = options.log ?? ((message, fields) => console.warn(`[scheduler] ${message}`, fields));
  const schedulerName = options.schedulerName ?? DefaultSchedulerName;
  const bindTimeoutMs = options.bindTimeoutMs ?? 600_000;
  const ownInformers = !options.informers;
  const informers = options.informers ?? createInformerFactory(client, { log });
  const cache = new SchedulerCache(informers);
  const waiters = new ClaimWaiters(cache);
  const recorder: EventRecorder = createEventRecorder(client.events, { component: schedulerName, log });
  const queue = new WorkQueue<string>({
    name: "scheduler",
    baseDelayMs: 1_000,
    maxDelayMs: options.maxBackoffMs ?? 60_000,
    qps: 0,
    log,
  });
  const unschedulable = new Set<string>();
  const binding = new Set<string>();
  const cycles = new Set<Promise<void>>();
  let next = 0; // round-robin start among equally loaded nodes

  // MoveAllToActiveOrBackoffQueue: anything a rejected pod may be waiting for changed.
  const retryUnschedulable = (): void => {
    for (const key of unschedulable) queue.add(key);
  };
  cache.pods.addHandlers({
    add: (pod) => {
      if (needsScheduling(pod, schedulerName)) queue.add(keyOf(pod));
    },
    update: (old, pod) => {
      if (!needsScheduling(pod, schedulerName)) return;
      const key = keyOf(pod);
      // Our own status write (or a resync) changes nothing a filter reads: the backoff or an event retries it.
      if (unschedulable.has(key) && JSON.stringify(old.spec) === JSON.stringify(pod.spec)) return;
      queue.add(key);
    },
  });
  cache.pods.onDelete((pod) => {
    unschedulable.delete(keyOf(pod));
    // An assigned pod going away frees what it held (ReadWriteOncePod claims, volume count on its node).
    if (pod.spec.nodeName) retryUnschedulable();
    // A binding cycle waiting on this pod's claims gives up now rather than at its timeout.
    for (const claim of podClaimNames(pod)) waiters.wake(`${pod.metadata.namespace ?? ""}/${claim}`);
  });
  for (const informer of [
    cache.nodes,
    cache.volumes,
    cache.claims,
    cache.classes,
    cache.drivers,
    cache.csiNodes,
    cache.capacityObjects,
  ] as const) {
    (informer as { onChange(fn: () => void): unknown }).onChange(retryUnschedulable);
  }

  async function setCondition(pod: Pod, condition: PodCondition): Promise<void> {
    const existing = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    if (
      existing?.status === condition.status &&
      existing.reason === condition.reason &&
      existing.message === condition.message
    ) {
      return;
    }
    const next = structuredClone(pod) as Pod;
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const full: PodCondition = { ...condition, lastProbeTime: null, lastTransitionTime: now };
    if (existing?.status === condition.status && existing.lastTransitionTime) {
      full.lastTransitionTime = existing.lastTransitionTime;
    }
    next.status = {
      ...(next.status ?? {}),
      phase: next.status?.phase ?? "Pending",
      conditions: [...(next.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled"), full],
    };
    try {
      await client.pods.updateStatus(next);
    } catch (err) {
      // A newer pod (or a deleted one) is fine: the next attempt writes the condition again.
      if (!isNotFound(err)) log("updating PodScheduled failed", { pod: keyOf(pod), err: String(err) });
    }
  }

  async function fail(pod: Pod, message: string, reason = "Unschedulable"): Promise<void> {
    const key = keyOf(pod);
    unschedulable.add(key);
    recorder.event(pod, "Warning", EventFailedScheduling, message);
    await setCondition(pod, { type: "PodScheduled", status: "False", reason, message });
    queue.addRateLimited(key);
  }

  async function scheduleOne(key: string): Promise<void> {
    const pod = cache.pods.get(key);
    if (!pod || !needsScheduling(pod, schedulerName) || binding.has(key)) {
      unschedulable.delete(key);
      return;
    }
    const nodes = cache.nodes.list().sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1));
    if (nodes.length === 0) return fail(pod, MsgNoNodesAvailable);
    const claims = preFilterVolumes(cache, pod);
    if ("message" in claims) return fail(pod, fitErrorMessage(nodes.length, claims.message, []));
    // The same for every node: whether another pod holds one of this pod's ReadWriteOncePod claims.
    const readWriteOncePod = filterReadWriteOncePod(cache, pod, (claim) => cache.claimUsers(claim));
    const statuses: FilterStatus[] = [];
    const feasible: Feasible[] = [];
    for (const node of nodes) {
      const result = filterNode(cache, pod, claims, readWriteOncePod, node);
      if (result.status) statuses.push(result.status);
      else feasible.push({ node, plan: result.plan });
    }
    if (feasible.length === 0) return fail(pod, fitErrorMessage(nodes.length, undefined, statuses));
    const chosen = pickNode(feasible);
    startBinding(pod, chosen.node.metadata.name ?? "", chosen.plan);
  }

  /** Least loaded by pod count (a stand-in for NodeResourcesFit's least-allocated score), ties in turn. */
  function pickNode(feasible: Feasible[]): Feasible {
    const start = next++ % feasible.length;
    let best: Feasible | undefined;
    let bestCount = Infinity;
    for (let i = 0; i < feasible.length; i++) {
      const candidate = feasible[(start + i) % feasible.length];
      const count = cache.podCountOn(candidate.node.metadata.name ?? "");
      if (count < bestCount) {
        best = candidate;
        bestCount = count;
      }
    }
    return best ?? feasible[0];
  }

  function startBinding(pod: Pod, nodeName: string, plan: VolumePlan): void {
    const key = keyOf(pod);
    // Assume: later decisions see the pod on the node and the PVs taken, before any watch event says so.
    unschedulable.delete(key);
    binding.add(key);
    cache.assumePod(key, nodeName);
    for (const { claim, volume } of plan.staticBindings)
      cache.assumeVolume(volume.metadata.name ?? "", claimKey(claim));
    const cycle = (async () => {
      try {
        await bindPodVolumes({ client, cache, waiters, bindTimeoutMs, signal }, pod, nodeName, plan);
        await bindPod(client, pod, nodeName);
        queue.forget(key);
        // Upstream's apiserver sets PodScheduled=True in the binding itself; ours only sets spec.nodeName so far,
        // so a pod that once failed would keep showing Unschedulable. Set it here until the apiserver does.
        const scheduled = cache.pods.get(key)?.status?.conditions?.find((c) => c.type === "PodScheduled");
        if (scheduled && scheduled.status !== "True") {
          const latest = await client.pods
            .get(pod.metadata.namespace ?? "", pod.metadata.name ?? "")
            .catch(() => undefined);
          if (latest) await setCondition(latest, { type: "PodScheduled", status: "True" });
        }
        recorder.event(
          pod,
          "Normal",
          EventScheduled,
          `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
        );
      } catch (err) {
        cache.forgetPod(key);
        for (const { claim, volume } of plan.staticBindings)
          cache.forgetVolume(volume.metadata.name ?? "", claimKey(claim));
        if (signal.aborted || err instanceof PodGoneError) return;
        const message =
          err instanceof BindingError
            ? `running PreBind plugin "VolumeBinding": ${err.message}`
            : `binding rejected: ${err instanceof Error ? err.message : String(err)}`;
        const latest = cache.pods.get(key);
        if (latest && needsScheduling(latest, schedulerName)) {
          recorder.event(latest, "Warning", EventFailedScheduling, message);
          await setCondition(latest, { type: "PodScheduled", status: "False", reason: "SchedulerError", message });
        }
        queue.addRateLimited(key);
      } finally {
        binding.delete(key);
      }
    })();
    cycles.add(cycle);
    void cycle.finally(() => cycles.delete(cycle));
  }

  if (ownInformers) informers.start(signal);
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const running = (async () => {
    if (!(await informers.waitForSync(signal))) return;
    markReady();
    for (const pod of cache.pods.list()) if (needsScheduling(pod, schedulerName)) queue.add(keyOf(pod));
    // One scheduling cycle at a time, as upstream: each decision sees the assumptions of the one before.
    await queue.work(signal, (key) => scheduleOne(key), 1);
    await Promise.allSettled([...cycles]);
    await recorder.flush();
  })();
  await Promise.race([ready, running]);
  return {
    ready,
    async stop() {
      stopping.abort();
      await running;
    },
  };
}
