// The scheduler: pods with no node and schedulerName default-scheduler (or none) go through one scheduling cycle
// at a time (filters over every node, pick one, assume), then an asynchronous binding cycle (volumes, then the
// pods/binding subresource), as kube-scheduler's scheduleOne. Pods no node can take get PodScheduled=False
// (Unschedulable) and a FailedScheduling event with upstream's message, and are tried again when something they
// could be waiting for changes (PVs, claims, classes, nodes, CSINodes, CSIDrivers, CSIStorageCapacities) and on
// a backoff of 1 s doubling to 60 s (upstream waits up to 5 min without an event; we retry sooner). This file is the
// wiring; a pod's scheduling and binding cycles are in schedule.ts.
import { setMaxListeners } from "node:events";
import type { Client, InformerFactory, StartLoop } from "../client/index.js";
import { WorkQueue, createEventRecorder, createInformerFactory, keyOf, stopped } from "../client/index.js";
import type { Log } from "../support/log.js";
import { ClaimWaiters } from "./binding.js";
import { checkPercentageOfNodesToScore } from "./feasible.js";
import { SchedulerCache } from "./cache.js";
import { DefaultSchedulerName, needsScheduling, scheduleOne, type ScheduleContext } from "./schedule.js";
import { podClaimNames } from "./volumebinding.js";

export { DefaultSchedulerName, MsgNoNodesAvailable, needsScheduling, scheduleOne } from "./schedule.js";

export interface SchedulerContext {
  client: Client;
  /** Share informers with other loops of the process; default a factory of its own. */
  informers?: InformerFactory;
  schedulerName?: string;
  /** How long a binding cycle waits for its claims to be bound (upstream's bindTimeoutSeconds: 600). */
  bindTimeoutMs?: number;
  /**
   * KubeSchedulerConfiguration's percentageOfNodesToScore: once this share of the nodes fit, a pod stops
   * filtering. 0 or unset: upstream's adaptive default (50% minus 1% per 125 nodes, at least 5% or 100 nodes).
   */
  percentageOfNodesToScore?: number;
  /** Longest wait between retries of an unschedulable pod. */
  maxBackoffMs?: number;
  log?: Log;
}

/** The informer handlers: pods needing a node are queued, and anything an unschedulable pod may wait for retries it. */
function addHandlers(ctx: ScheduleContext): void {
  const { cache, queue, unschedulable, schedulerName, waiters } = ctx;
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
}

const logOf = (options: SchedulerContext): Log =>
  options.log ?? ((message, fields) => console.warn(`[scheduler] ${message}`, fields));

/** A scheduler's state on the given informers (made before they start, so that its handlers see every pod). */
export function newScheduleContext(
  options: SchedulerContext,
  informers: InformerFactory,
  signal: AbortSignal,
): ScheduleContext {
  const { client } = options;
  checkPercentageOfNodesToScore(options.percentageOfNodesToScore);
  const log = logOf(options);
  const schedulerName = options.schedulerName ?? DefaultSchedulerName;
  const cache = new SchedulerCache(informers);
  const ctx: ScheduleContext = {
    client,
    cache,
    waiters: new ClaimWaiters(cache),
    bindTimeoutMs: options.bindTimeoutMs ?? 600_000,
    signal,
    recorder: createEventRecorder(client.events, { component: schedulerName, log }),
    queue: new WorkQueue<string>({
      name: "scheduler",
      baseDelayMs: 1_000,
      maxDelayMs: options.maxBackoffMs ?? 60_000,
      qps: 0,
      log,
    }),
    schedulerName,
    log,
    unschedulable: new Set(),
    binding: new Set(),
    cycles: new Set(),
    next: 0,
    percentageOfNodesToScore: options.percentageOfNodesToScore,
    nextStartNodeIndex: 0,
    lastEvaluatedNodes: 0,
  };
  addHandlers(ctx);
  return ctx;
}

/** Starts the scheduler; resolves once the informers have synced and scheduling runs. */
export const startScheduler: StartLoop<SchedulerContext> = async (options, signal) => {
  setMaxListeners(0, signal); // every informer, timer and waiting binding listens on it
  const informers = options.informers ?? createInformerFactory(options.client, { log: logOf(options) });
  const ctx = newScheduleContext(options, informers, signal);
  if (!options.informers) informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  for (const pod of ctx.cache.pods.list()) if (needsScheduling(pod, ctx.schedulerName)) ctx.queue.add(keyOf(pod));
  const done = (async () => {
    // One scheduling cycle at a time, as upstream: each decision sees the assumptions of the one before.
    await ctx.queue.work(signal, (key) => scheduleOne(ctx, key), 1);
    await Promise.allSettled([...ctx.cycles]);
    await ctx.recorder.flush();
  })();
  return { done };
};
