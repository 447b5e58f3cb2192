// The scheduling cycle and the binding cycle of one pod (upstream schedulingCycle and bindingCycle of scheduleOne):
// every filter over every node, the least loaded feasible node picked and assumed, then volumes and the binding
// written asynchronously. The wiring (informers, queue, retries on events) is in scheduler.ts.
import type { Node, Pod, PodCondition } from "../api/core/types.js";
import { EventFailedScheduling, EventScheduled } from "../api/wellknown.js";
import type { Client, EventRecorder, WorkQueue } from "../client/index.js";
import { isNotFound, keyOf } from "../client/index.js";
import type { Log } from "../support/log.js";
import { BindingError, PodGoneError, bindPod, bindPodVolumes, type BindContext } from "./binding.js";
import type { SchedulerCache } from "./cache.js";
import { fitErrorMessage } from "./fiterror.js";
import type { FilterStatus } from "./filters.js";
import { filterNodeAffinity, filterNodeUnschedulable, filterTaintToleration } from "./filters.js";
import type { PodClaims, VolumePlan } from "./volumebinding.js";
import { claimKey, filterVolumes, preFilterVolumes } from "./volumebinding.js";
import { csiVolumesOf, filterVolumeLimits } from "./volumelimits.js";
import { findNodesThatPassFilters, numFeasibleNodesToFind, type NodeVerdict } from "./feasible.js";
import { filterReadWriteOncePod } from "./volumerestrictions.js";

export const DefaultSchedulerName = "default-scheduler";
export const MsgNoNodesAvailable = "no nodes available to schedule pods";

/** What a scheduling cycle reads and remembers; scheduler.ts makes one per started scheduler. */
export interface ScheduleContext extends BindContext {
  client: Client;
  cache: SchedulerCache;
  recorder: EventRecorder;
  /** The scheduling queue: a pod that fits nowhere is retried rate-limited; a bound one is forgotten. */
  queue: WorkQueue<string>;
  schedulerName: string;
  log: Log;
  /** Pods the last cycle found no node for: retried when anything they may wait for changes. */
  unschedulable: Set<string>;
  /** Pods in their binding cycle: not scheduled again meanwhile. */
  binding: Set<string>;
  /** Running binding cycles, so that stopping can wait for them. */
  cycles: Set<Promise<void>>;
  /** Round-robin start among equally loaded nodes. */
  next: number;
  /** The configuration's percentageOfNodesToScore (0 or unset: upstream's adaptive default). */
  percentageOfNodesToScore?: number;
  /** Where the next cycle starts filtering (upstream's nextStartNodeIndex). */
  nextStartNodeIndex: number;
  /** How many nodes the last cycle filtered (upstream's ScheduleResult.EvaluatedNodes). */
  lastEvaluatedNodes: number;
}

/** Pods this scheduler is responsible for and that still need a node. */
export function needsScheduling(pod: Pod, schedulerName = DefaultSchedulerName): boolean {
  if (pod.spec.nodeName || pod.metadata.deletionTimestamp) return false;
  if ((pod.spec.schedulerName || DefaultSchedulerName) !== schedulerName) return false;
  return pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";
}

/** A node the prescreen ruled out: no filter ran on it. */
const skipped: FilterStatus = { reasons: [] };

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
  csiVolumes: Map<string, Set<string>>,
  node: Node,
) {
  const name = node.metadata.name ?? "";
  const status =
    filterNodeUnschedulable(pod, node) ??
    filterTaintToleration(pod, node) ??
    filterNodeAffinity(pod, node) ??
    readWriteOncePod ??
    filterVolumeLimits(cache, pod, cache.csiNodes.get(name), cache, csiVolumes);
  if (status) return { status };
  return filterVolumes(cache, claims, node);
}

async function setCondition(ctx: ScheduleContext, pod: Pod, condition: PodCondition): Promise<void> {
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
    await ctx.client.pods.updateStatus(next);
  } catch (err) {
    // A newer pod (or a deleted one) is fine: the next attempt writes the condition again.
    if (!isNotFound(err)) ctx.log("updating PodScheduled failed", { pod: keyOf(pod), err: String(err) });
  }
}

async function fail(ctx: ScheduleContext, pod: Pod, message: string, reason = "Unschedulable"): Promise<void> {
  const key = keyOf(pod);
  ctx.unschedulable.add(key);
  ctx.recorder.event(pod, "Warning", EventFailedScheduling, message);
  await setCondition(ctx, pod, { type: "PodScheduled", status: "False", reason, message });
  ctx.queue.addRateLimited(key);
}

/**
 * One scheduling cycle (upstream scheduleOne): the pod's filters over enough nodes (feasible.ts), one node picked
 * and assumed, and its binding cycle started; or PodScheduled=False with FailedScheduling and a rate-limited retry.
 */
export async function scheduleOne(ctx: ScheduleContext, key: string): Promise<void> {
  const { cache, schedulerName, binding, unschedulable } = ctx;
  const pod = cache.pods.get(key);
  if (!pod || !needsScheduling(pod, schedulerName) || binding.has(key)) {
    unschedulable.delete(key);
    return;
  }
  const nodes = cache.nodeNames();
  if (nodes.length === 0) return fail(ctx, pod, MsgNoNodesAvailable);
  const claims = preFilterVolumes(cache, pod);
  if ("message" in claims) return fail(ctx, pod, fitErrorMessage(nodes.length, claims.message, []));
  // The same for every node: whether another pod holds one of this pod's ReadWriteOncePod claims.
  const readWriteOncePod = filterReadWriteOncePod(cache, pod, (claim) => cache.claimUsers(claim));
  const csiVolumes = csiVolumesOf(cache, pod);
  const toFind = numFeasibleNodesToFind(ctx.percentageOfNodesToScore, nodes.length);
  // Nodes VolumeBinding is sure to reject are rejected without running a filter (prescreen.ts); their reasons are
  // worked out only if no node fits, for the FailedScheduling message.
  const screen = claims.delayed.length > 0 ? cache.screen.nodesFor(claims) : "any";
  const verdict = (name: string, screened: boolean): NodeVerdict<Feasible, FilterStatus> => {
    if (screened && screen !== "any" && !screen.has(name)) return { rejected: skipped };
    const node = cache.nodes.get(name);
    // Deleted since the list was taken: as upstream's snapshot, it is still counted, and fits nothing.
    if (!node) return { rejected: { reasons: [] } };
    const result = filterNode(cache, pod, claims, readWriteOncePod, csiVolumes, node);
    return result.status ? { rejected: result.status } : { feasible: { node, plan: result.plan } };
  };
  const { feasible, rejected, processed } = findNodesThatPassFilters(nodes, ctx.nextStartNodeIndex, toFind, (name) =>
    verdict(name, true),
  );
  ctx.nextStartNodeIndex = (ctx.nextStartNodeIndex + processed) % nodes.length;
  ctx.lastEvaluatedNodes = processed;
  if (feasible.length === 0) {
    const reasons = rejected.includes(skipped)
      ? nodes.map((name) => {
          const again = verdict(name, false);
          return "rejected" in again ? again.rejected : { reasons: [] };
        })
      : rejected;
    return fail(ctx, pod, fitErrorMessage(nodes.length, undefined, reasons));
  }
  const chosen = pickNode(ctx, feasible);
  startBinding(ctx, pod, chosen.node.metadata.name ?? "", chosen.plan);
}

/** Least loaded by pod count (a stand-in for NodeResourcesFit's least-allocated score), ties in turn. */
function pickNode(ctx: ScheduleContext, feasible: Feasible[]): Feasible {
  const start = ctx.next++ % feasible.length;
  let best: Feasible | undefined;
  let bestCount = Infinity;
  for (let i = 0; i < feasible.length; i++) {
    const candidate = feasible[(start + i) % feasible.length];
    const count = ctx.cache.podCountOn(candidate.node.metadata.name ?? "");
    if (count < bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best ?? feasible[0];
}

function startBinding(ctx: ScheduleContext, pod: Pod, nodeName: string, plan: VolumePlan): void {
  const { cache, unschedulable, binding, cycles } = ctx;
  const key = keyOf(pod);
  // Assume: later decisions see the pod on the node and the PVs taken, before any watch event says so.
  unschedulable.delete(key);
  binding.add(key);
  cache.assumePod(key, nodeName);
  for (const { claim, volume } of plan.staticBindings) cache.assumeVolume(volume.metadata.name ?? "", claimKey(claim));
  const cycle = (async () => {
    try {
      await bindPodVolumes(ctx, pod, nodeName, plan);
      await bindPod(ctx.client, pod, nodeName);
      ctx.queue.forget(key);
      // Upstream's apiserver sets PodScheduled=True in the binding itself; ours only sets spec.nodeName so far,
      // so a pod that once failed would keep showing Unschedulable. Set it here until the apiserver does.
      const scheduled = cache.pods.get(key)?.status?.conditions?.find((c) => c.type === "PodScheduled");
      if (scheduled && scheduled.status !== "True") {
        const latest = await ctx.client.pods
          .get(pod.metadata.namespace ?? "", pod.metadata.name ?? "")
          .catch(() => undefined);
        if (latest) await setCondition(ctx, latest, { type: "PodScheduled", status: "True" });
      }
      ctx.recorder.event(
        pod,
        "Normal",
        EventScheduled,
        `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${nodeName}`,
      );
    } catch (err) {
      cache.forgetPod(key);
      for (const { claim, volume } of plan.staticBindings)
        cache.forgetVolume(volume.metadata.name ?? "", claimKey(claim));
      if (ctx.signal.aborted || err instanceof PodGoneError) return;
      const message =
        err instanceof BindingError
          ? `running PreBind plugin "VolumeBinding": ${err.message}`
          : `binding rejected: ${err instanceof Error ? err.message : String(err)}`;
      const latest = cache.pods.get(key);
      if (latest && needsScheduling(latest, ctx.schedulerName)) {
        ctx.recorder.event(latest, "Warning", EventFailedScheduling, message);
        await setCondition(ctx, latest, { type: "PodScheduled", status: "False", reason: "SchedulerError", message });
      }
      ctx.queue.addRateLimited(key);
    } finally {
      binding.delete(key);
    }
  })();
  cycles.add(cycle);
  void cycle.finally(() => cycles.delete(cycle));
}
