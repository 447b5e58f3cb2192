// The node lifecycle controller, volume-relevant part (pkg/controller/nodelifecycle): every monitor period it checks
// each node's heartbeats (status and kube-node-lease Lease); a node silent for the grace period gets its conditions
// set Unknown ("Kubelet stopped posting node status."), a NodeNotReady event, its pods' Ready condition False, the
// node.kubernetes.io/unreachable NoSchedule taint (the scheduler then keeps new pods off it) and, rate-limited per
// zone and not when a whole zone is down, the NoExecute one. When the agent reports Ready again the taints go; the
// agent itself sets its pods Ready again. Not here: taint-based eviction (deleting pods), CIDRs, cloud nodes.
import type { Node, NodeCondition, Pod, Taint } from "../../api/core/types.js";
import type { Lease } from "../../api/coordination/types.js";
import { NamespaceNodeLease } from "../../api/wellknown.js";
import {
  createEventRecorder,
  isConflict,
  isNotFound,
  WorkQueue,
  type Client,
  type EventRecorder,
  type InformerFactory,
} from "../../client/index.js";
import { every, runWorkers } from "../common/run.js";
import type { Log } from "../../support/log.js";
import { formatTime, tryUpdateNodeHealth, type NodeHealth } from "./health.js";
import { markPodsNotReady } from "./pods.js";
import {
  noScheduleTaintChanges,
  NotReadyTaintTemplate,
  swapTaints,
  taintExists,
  UnreachableTaintTemplate,
} from "./taints.js";
import {
  computeZoneState,
  disruptionTransition,
  zoneKey,
  zoneQPS,
  ZoneTainter,
  type ZoneRates,
  type ZoneState,
} from "./zones.js";

export interface NodeLifecycleOptions {
  client: Client;
  informers: InformerFactory;
  signal: AbortSignal;
  /** Node events; upstream's component is "node-controller". */
  recorder?: EventRecorder;
  /** --node-monitor-period: how often heartbeats are checked (upstream 5 s). */
  nodeMonitorPeriodMs?: number;
  /** --node-monitor-grace-period: silence after which a node is Unknown (upstream 40 s in 1.32). */
  nodeMonitorGracePeriodMs?: number;
  /** --node-startup-grace-period: for a node that never posted status (upstream 60 s). */
  nodeStartupGracePeriodMs?: number;
  /** --node-eviction-rate: NoExecute taints per second per zone (upstream 0.1). */
  evictionLimiterQPS?: number;
  /** --secondary-node-eviction-rate: in a partially disrupted large zone (upstream 0.01). */
  secondaryEvictionLimiterQPS?: number;
  /** --large-cluster-size-threshold (upstream 50). */
  largeClusterThreshold?: number;
  /** --unhealthy-zone-threshold (upstream 0.55). */
  unhealthyZoneThreshold?: number;
  log?: Log;
  now?: () => number;
}

export const defaultNodeMonitorGracePeriodMs = 40_000;
export const EventRegisteredNode = "RegisteredNode";
export const EventRemovingNode = "RemovingNode";
export const EventNodeNotReady = "NodeNotReady";

// scheduler.NodeEvictionPeriod (how often the NoExecute tainting queue is tried) and NodeHealthUpdateRetry.
const nodeEvictionPeriodMs = 100;
const nodeHealthUpdateRetry = 5;
const podsByNode = "nodelifecycle-node";

const defaultLog: Log = (message, fields) => console.warn(`[node-controller] ${message}`, fields);

export async function startNodeLifecycleController(options: NodeLifecycleOptions): Promise<{ done: Promise<void> }> {
  const { client, informers, signal } = options;
  const log = options.log ?? defaultLog;
  const now = options.now ?? Date.now;
  const recorder = options.recorder ?? createEventRecorder(client.events, { component: "node-controller", log });
  const gracePeriodMs = options.nodeMonitorGracePeriodMs ?? defaultNodeMonitorGracePeriodMs;
  const startupGracePeriodMs = options.nodeStartupGracePeriodMs ?? 60_000;
  const rates: ZoneRates = {
    evictionLimiterQPS: options.evictionLimiterQPS ?? 0.1,
    secondaryEvictionLimiterQPS: options.secondaryEvictionLimiterQPS ?? 0.01,
    largeClusterThreshold: options.largeClusterThreshold ?? 50,
  };
  const unhealthyZoneThreshold = options.unhealthyZoneThreshold ?? 0.55;
  const { nodes, leases, pods } = informers;
  try {
    pods.addIndexer(podsByNode, (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []));
  } catch {
    // added by an earlier start on this shared informer: the same function
  }

  const health = new Map<string, NodeHealth>();
  const known = new Map<string, Node>();
  const zoneStates = new Map<string, ZoneState>();
  const tainters = new Map<string, ZoneTainter>();
  const nodesToRetry = new Set<string>();

  const leaseOf = (name: string): Lease | undefined => leases.get(`${NamespaceNodeLease}/${name}`);
  const podsOn = (name: string): Pod[] => pods.byIndex(podsByNode, name);
  const nodeEvent = (node: Node, reason: string, message: string) =>
    recorder.event(
      { apiVersion: "v1", kind: "Node", name: node.metadata.name ?? "", uid: node.metadata.uid ?? "" },
      "Normal",
      reason,
      message,
    );

  /** Writes taint changes on a fresh copy of the node, retrying conflicts (AddOrUpdateTaintOnNode). */
  async function swapNodeTaints(name: string, add: Taint[], remove: Taint[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let node: Node;
      try {
        node = await client.nodes.get(name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      const taints = swapTaints(node, add, remove, formatTime(now()));
      if (!taints) return;
      try {
        await client.nodes.update({ ...node, spec: { ...node.spec, taints } });
        return;
      } catch (err) {
        if (!isConflict(err) || attempt >= nodeHealthUpdateRetry) throw err;
      }
    }
  }

  function tainterOf(node: Node): ZoneTainter {
    const zone = zoneKey(node);
    let tainter = tainters.get(zone);
    if (!tainter) {
      // addPodEvictorForNewZone
      tainter = new ZoneTainter(rates.evictionLimiterQPS, now);
      tainters.set(zone, tainter);
      zoneStates.set(zone, "Initial");
    }
    return tainter;
  }

  /** markNodeAsReachable: both NoExecute taints off, and out of the tainting queue. */
  async function markNodeAsReachable(node: Node): Promise<void> {
    if (
      taintExists(node.spec?.taints, UnreachableTaintTemplate) ||
      taintExists(node.spec?.taints, NotReadyTaintTemplate)
    )
      await swapNodeTaints(node.metadata.name ?? "", [], [UnreachableTaintTemplate, NotReadyTaintTemplate]);
    tainterOf(node).queue.delete(node.metadata.name ?? "");
  }

  /** processTaintBaseEviction: queue the NoExecute taint (or swap it at once if the opposite one is there). */
  async function processTaintBaseEviction(node: Node, status: string): Promise<void> {
    const name = node.metadata.name ?? "";
    const taints = node.spec?.taints;
    if (status === "False" || status === "Unknown") {
      const [want, opposite] =
        status === "False"
          ? [NotReadyTaintTemplate, UnreachableTaintTemplate]
          : [UnreachableTaintTemplate, NotReadyTaintTemplate];
      if (taintExists(taints, opposite)) await swapNodeTaints(name, [want], [opposite]);
      else {
        const tainter = tainterOf(node);
        if (!tainter.queue.has(name) && !taintExists(taints, want)) tainter.queue.set(name, now());
      }
    } else if (status === "True") {
      await markNodeAsReachable(node);
    }
  }

  /** doNoExecuteTaintingPass: each zone's queue, as fast as its limiter lets. */
  async function noExecuteTaintingPass(): Promise<void> {
    for (const tainter of tainters.values()) {
      for (const [name, at] of [...tainter.queue]) {
        if (at > now()) continue;
        if (!tainter.tryAccept()) break;
        const node = nodes.get(name);
        const ready = node?.status?.conditions?.find((c) => c.type === "Ready");
        if (!node) {
          tainter.queue.delete(name);
          continue;
        }
        if (!ready) {
          tainter.queue.set(name, now() + 50);
          continue;
        }
        // "unreachable" and "not ready" mirror the Ready condition, so they are mutually exclusive.
        const swap =
          ready.status === "False"
            ? { add: NotReadyTaintTemplate, remove: UnreachableTaintTemplate }
            : ready.status === "Unknown"
              ? { add: UnreachableTaintTemplate, remove: NotReadyTaintTemplate }
              : undefined;
        if (swap) {
          try {
            await swapNodeTaints(name, [swap.add], [swap.remove]);
          } catch (err) {
            log("tainting an unresponsive node failed; will retry", { node: name, err: String(err) });
            tainter.queue.set(name, now());
            continue;
          }
        }
        tainter.queue.delete(name);
      }
    }
  }

  /** Writes the Unknown conditions, re-reading the node on a conflict (upstream retries five times). */
  async function updateHealth(node: Node): Promise<ReturnType<typeof tryUpdateNodeHealth> | undefined> {
    let current = node;
    for (let attempt = 0; ; attempt++) {
      const name = current.metadata.name ?? "";
      const decision = tryUpdateNodeHealth(current, health.get(name), leaseOf(name), now(), {
        gracePeriodMs,
        startupGracePeriodMs,
      });
      if (!decision.status) {
        health.set(name, decision.health);
        return decision;
      }
      try {
        await client.nodes.updateStatus({ ...current, status: decision.status });
        health.set(name, decision.health);
        return decision;
      } catch (err) {
        if (attempt >= nodeHealthUpdateRetry) throw err;
        try {
          current = await client.nodes.get(name);
        } catch (getErr) {
          if (isNotFound(getErr)) return undefined;
          throw getErr;
        }
      }
    }
  }

  /** monitorNodeHealth: one pass over every node. */
  async function monitorNodeHealth(): Promise<void> {
    const all = nodes.list();
    const names = new Set(all.map((n) => n.metadata.name ?? ""));
    for (const node of all) {
      const name = node.metadata.name ?? "";
      if (known.has(name)) continue;
      nodeEvent(node, EventRegisteredNode, `Node ${name} event: Registered Node ${name} in Controller`);
      known.set(name, node);
      await markNodeAsReachable(node).catch((err: unknown) =>
        log("removing taints from a new node failed", { node: name, err: String(err) }),
      );
    }
    for (const [name, node] of known) {
      if (names.has(name)) continue;
      nodeEvent(node, EventRemovingNode, `Node ${name} event: Removing Node ${name} from Controller`);
      known.delete(name);
      health.delete(name);
      nodesToRetry.delete(name);
    }

    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    await Promise.all(
      all.map(async (node) => {
        const name = node.metadata.name ?? "";
        let decision;
        try {
          decision = await updateHealth(node);
        } catch (err) {
          log("updating node health failed; no pods will be marked", { node: name, err: String(err) });
          return;
        }
        if (!decision) return;
        const zone = zoneKey(node);
        tainterOf(node);
        zoneConditions.set(zone, [...(zoneConditions.get(zone) ?? []), decision.currentReady]);
        if (!decision.currentReady) return;
        await processTaintBaseEviction(node, decision.observedReady.status).catch((err: unknown) =>
          log("NoExecute taint update failed; will retry", { node: name, err: String(err) }),
        );
        const becameNotReady = decision.currentReady.status !== "True" && decision.observedReady.status === "True";
        if (becameNotReady) nodeEvent(node, EventNodeNotReady, `Node ${name} status is now: ${EventNodeNotReady}`);
        if (becameNotReady || (nodesToRetry.has(name) && decision.observedReady.status !== "True")) {
          try {
            await markPodsNotReady(client, recorder, podsOn(name), name, formatTime(now()));
          } catch (err) {
            log("marking pods not ready failed; will retry", { node: name, err: String(err) });
            nodesToRetry.add(name);
            return;
          }
        }
        nodesToRetry.delete(name);
      }),
    );
    await handleDisruption(zoneConditions, all);
  }

  /**
   * handleDisruption: when every zone has no Ready node, this controller is more likely cut off than all nodes
   * dead, so NoExecute tainting stops and existing NoExecute taints go (the NoSchedule ones stay).
   */
  async function handleDisruption(
    zoneConditions: Map<string, (NodeCondition | undefined)[]>,
    all: Node[],
  ): Promise<void> {
    const next = new Map<string, ZoneState>();
    for (const [zone, conditions] of zoneConditions)
      next.set(zone, computeZoneState(conditions, unhealthyZoneThreshold).state);
    const action = disruptionTransition(zoneStates, next);
    const setState = (zone: string, state: ZoneState) => {
      tainters.get(zone)?.swapLimiter(zoneQPS(state, zoneConditions.get(zone)?.length ?? 0, rates));
      zoneStates.set(zone, state);
    };
    switch (action.kind) {
      case "none":
        return;
      case "enterFullDisruption":
        log("no node is Ready: entering disruption mode (no NoExecute taints until one is)", {});
        for (const node of all)
          await markNodeAsReachable(node).catch((err: unknown) =>
            log("removing taints failed", { node: node.metadata.name, err: String(err) }),
          );
        for (const zone of zoneStates.keys()) {
          tainters.get(zone)?.swapLimiter(0);
          zoneStates.set(zone, "FullDisruption");
        }
        return;
      case "leaveFullDisruption":
        log("some nodes are Ready: leaving disruption mode", {});
        // Everyone gets a fresh grace period: their silence may have been ours.
        for (const [name, saved] of health)
          health.set(name, { ...saved, probeTimestamp: now(), readyTransitionTimestamp: now() });
        for (const [zone, state] of action.states) setState(zone, state);
        return;
      case "update":
        for (const [zone, state] of action.states) setState(zone, state);
    }
  }

  // NoSchedule taints follow every node change at once (doNoScheduleTaintingPass).
  const nodeQueue = new WorkQueue<string>({ name: "node_lifecycle_controller" });
  const syncNoScheduleTaints = async (name: string): Promise<void> => {
    const node = nodes.get(name);
    if (!node) return;
    const { add, remove } = noScheduleTaintChanges(node);
    if (add.length || remove.length) await swapNodeTaints(name, add, remove);
  };
  // A pod bound to a node already not Ready is marked at once (processPod), not at the next transition.
  const podQueue = new WorkQueue<string>({ name: "node_lifecycle_controller_pods" });
  const syncPod = async (key: string): Promise<void> => {
    const pod = pods.get(key);
    const nodeName = pod?.spec.nodeName;
    if (!pod || !nodeName || !health.has(nodeName)) return;
    const ready = health.get(nodeName)?.ready;
    if (!ready || ready.status === "True") return;
    await markPodsNotReady(client, recorder, [pod], nodeName, formatTime(now()));
  };
  const offs = [
    nodes.onChange((node) => nodeQueue.add(node.metadata.name ?? "")),
    pods.onAdd((pod) => {
      if (pod.spec.nodeName) podQueue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    }),
    pods.onUpdate((old, pod) => {
      if (pod.spec.nodeName && pod.spec.nodeName !== old.spec.nodeName)
        podQueue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    }),
  ];
  signal.addEventListener("abort", () => offs.forEach((off) => off()), { once: true });

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return { done: Promise.resolve() };
  for (const node of nodes.list()) nodeQueue.add(node.metadata.name ?? "");

  // Each periodic pass runs alone: a slow pass is not overlapped by the next one.
  const inFlight = new Set<Promise<void>>();
  const serial = (fn: () => Promise<void>, what: string) => {
    let running = false;
    return () => {
      if (running || signal.aborted) return;
      running = true;
      const pass = fn()
        .catch((err: unknown) => log(`${what} failed`, { err: String(err) }))
        .finally(() => {
          running = false;
          inFlight.delete(pass);
        });
      inFlight.add(pass);
    };
  };
  const monitor = serial(monitorNodeHealth, "monitoring node health");
  every(options.nodeMonitorPeriodMs ?? 5_000, signal, monitor);
  every(nodeEvictionPeriodMs, signal, serial(noExecuteTaintingPass, "NoExecute tainting"));
  monitor();

  const done = Promise.all([
    runWorkers(nodeQueue, signal, 8, syncNoScheduleTaints, log),
    runWorkers(podQueue, signal, 4, syncPod, log),
  ]).then(async () => {
    await Promise.all([...inFlight]);
    if (!options.recorder) await recorder.flush();
  });
  return { done };
}
