// The node lifecycle controller, volume-relevant part (pkg/controller/nodelifecycle): every monitor period it checks
// each node's heartbeats (status and kube-node-lease Lease); a node silent for the grace period gets its conditions
// set Unknown ("Kubelet stopped posting node status."), a NodeNotReady event, its pods' Ready condition False, the
// node.kubernetes.io/unreachable NoSchedule taint (the scheduler then keeps new pods off it) and, rate-limited per
// zone and not when a whole zone is down, the NoExecute one. When the agent reports Ready again the taints go; the
// agent itself sets its pods Ready again. Not here: taint-based eviction (deleting pods), CIDRs, cloud nodes.
// This file is the wiring: the periodic passes are in monitor.ts, the per-key syncs in sync.ts.
import { createEventRecorder, every, removeWhenAborted, stopped, WorkQueue } from "../../client/index.js";
import type { EventRecorder, StartLoop } from "../../client/index.js";
import type { Log } from "../../support/log.js";
import type { LoopContext } from "../common/context.js";
import { addIndexerOnce } from "../common/podindex.js";
import { defaultNodeFenceGraceMs, NodeFencing } from "./fencing.js";
import { NodeMonitor, podsByNode } from "./monitor.js";
import { syncNoScheduleTaints, syncPod, type NodeLifecycleSync } from "./sync.js";

export { EventRegisteredNode, EventRemovingNode } from "./monitor.js";
export { EventNodeNotReady } from "./pods.js";

export interface NodeLifecycleContext extends Omit<LoopContext, "log"> {
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
  /**
   * --node-fence-grace: a node whose Lease has not moved for this long is taken out of service at once (fencing.ts);
   * 0 turns fencing off. Default 15 s: longer than the agent's --fence-after (10 s) plus the time it takes to fence.
   */
  nodeFenceGraceMs?: number;
  log?: Log;
  now?: () => number;
}

export const defaultNodeMonitorGracePeriodMs = 40_000;

// scheduler.NodeEvictionPeriod: how often the NoExecute tainting queue is tried.
const nodeEvictionPeriodMs = 100;
// How often silent Leases are checked for fencing: a small part of the 15 s grace.
const fencingPeriodMs = 500;

const defaultLog: Log = (message, fields) => console.warn(`[node-controller] ${message}`, fields);

/**
 * Runs each periodic pass alone (a slow pass is not overlapped by the next one); `inFlight` holds the running ones
 * so that stopping can wait for them.
 */
function serialPasses(signal: AbortSignal, log: Log) {
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
  return { serial, inFlight };
}

export const startNodeLifecycleController: StartLoop<NodeLifecycleContext> = async (options, signal) => {
  const { client, informers } = options;
  const log = options.log ?? defaultLog;
  const now = options.now ?? Date.now;
  const recorder = options.recorder ?? createEventRecorder(client.events, { component: "node-controller", log });
  const { nodes, leases, pods } = informers;
  addIndexerOnce(pods, podsByNode, (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []));
  const monitor = new NodeMonitor({
    client,
    nodes,
    leases,
    pods,
    recorder,
    log,
    now,
    gracePeriodMs: options.nodeMonitorGracePeriodMs ?? defaultNodeMonitorGracePeriodMs,
    startupGracePeriodMs: options.nodeStartupGracePeriodMs ?? 60_000,
    rates: {
      evictionLimiterQPS: options.evictionLimiterQPS ?? 0.1,
      secondaryEvictionLimiterQPS: options.secondaryEvictionLimiterQPS ?? 0.01,
      largeClusterThreshold: options.largeClusterThreshold ?? 50,
    },
    unhealthyZoneThreshold: options.unhealthyZoneThreshold ?? 0.55,
  });
  const sync: NodeLifecycleSync = { client, nodes, pods, recorder, health: monitor.health, now };

  // NoSchedule taints follow every node change at once; a pod newly bound to a not-Ready node is marked at once.
  const nodeQueue = new WorkQueue<string>({ name: "node_lifecycle_controller", log });
  const podQueue = new WorkQueue<string>({ name: "node_lifecycle_controller_pods", log });
  removeWhenAborted(signal, [
    nodes.onChange((node) => nodeQueue.add(node.metadata.name ?? "")),
    pods.onAdd((pod) => {
      if (pod.spec.nodeName) podQueue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    }),
    pods.onUpdate((old, pod) => {
      if (pod.spec.nodeName && pod.spec.nodeName !== old.spec.nodeName)
        podQueue.add(`${pod.metadata.namespace}/${pod.metadata.name}`);
    }),
  ]);

  const fenceGraceMs = options.nodeFenceGraceMs ?? defaultNodeFenceGraceMs;
  const fencing =
    fenceGraceMs > 0
      ? new NodeFencing({
          client,
          nodes,
          recorder,
          log,
          now,
          graceMs: fenceGraceMs,
          podsOn: (node) => pods.byIndex(podsByNode, node),
        })
      : undefined;
  // The Lease clock: a renewal counts from when this controller sees it, never from the node's own timestamp.
  if (fencing) removeWhenAborted(signal, [leases.onChange((lease) => fencing.observe(lease))]);

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  for (const node of nodes.list()) nodeQueue.add(node.metadata.name ?? "");

  const { serial, inFlight } = serialPasses(signal, log);
  const monitorPass = serial(() => monitor.monitorNodeHealth(), "monitoring node health");
  every(options.nodeMonitorPeriodMs ?? 5_000, signal, monitorPass);
  every(
    nodeEvictionPeriodMs,
    signal,
    serial(() => monitor.noExecuteTaintingPass(), "NoExecute tainting"),
  );
  monitorPass();
  if (fencing)
    every(
      fencingPeriodMs,
      signal,
      serial(() => fencing.pass(), "fencing"),
    );

  const done = Promise.all([
    nodeQueue.work(signal, (name) => syncNoScheduleTaints(sync, name), 8),
    podQueue.work(signal, (key) => syncPod(sync, key), 4),
  ]).then(async () => {
    await Promise.all([...inFlight]);
    if (!options.recorder) await recorder.flush();
  });
  return { done };
};
