// Node health as the node lifecycle controller judges it (node_lifecycle_controller.go tryUpdateNodeHealth): a node
// is alive while its agent keeps posting status (the Ready condition's lastHeartbeatTime moves) or renewing its
// Lease in kube-node-lease. Both are timed with this controller's own clock when it sees them change — never with
// the timestamps inside, so clock skew between machines does not matter. After the grace period without either,
// the Ready, MemoryPressure, DiskPressure and PIDPressure conditions become Unknown with upstream's reason/message.
import type { Node, NodeCondition, NodeStatus } from "../../api/core/types.js";
import type { Lease } from "../../api/coordination/types.js";

/** What this controller last saw of a node, timed with its own clock (upstream's nodeHealthData). */
export interface NodeHealth {
  /** When a heartbeat (status or lease) was last seen, in ms of this controller's clock. */
  probeTimestamp: number;
  readyTransitionTimestamp: number;
  /** The Ready condition as last seen in the node's status. */
  ready?: NodeCondition;
  /** The lease's renewTime as last seen. */
  leaseRenewTime?: string;
}

export interface HealthOptions {
  /** --node-monitor-grace-period: 40 s upstream (1.32). */
  gracePeriodMs: number;
  /** --node-startup-grace-period: for a node whose agent never posted a Ready condition; 60 s upstream. */
  startupGracePeriodMs: number;
}

export interface HealthDecision {
  health: NodeHealth;
  /** The Ready condition before this pass (a made-up Unknown one when the node never posted one). */
  observedReady: NodeCondition;
  /** The Ready condition after this pass; undefined when the node never posted one and is still in its grace. */
  currentReady?: NodeCondition;
  /** Set when the node's status must be written: the conditions marked Unknown. */
  status?: NodeStatus;
}

/** The conditions the controller marks Unknown; NetworkUnavailable is the network plugin's, not the kubelet's. */
export const monitoredConditions = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] as const;

// Upstream's reasons and messages (node_lifecycle_controller.go).
export const ReasonNodeStatusUnknown = "NodeStatusUnknown";
export const MessageNodeStatusUnknown = "Kubelet stopped posting node status.";
export const ReasonNodeStatusNeverUpdated = "NodeStatusNeverUpdated";
export const MessageNodeStatusNeverUpdated = "Kubelet never posted node status.";

/** metav1.Time as the API writes it: RFC 3339 to the second. */
export const formatTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

const readyOf = (status: NodeStatus | undefined): NodeCondition | undefined =>
  status?.conditions?.find((c) => c.type === "Ready");

const renewedAfter = (observed: string | undefined, saved: string | undefined): boolean => {
  if (!observed) return false;
  if (!saved) return true;
  return Date.parse(saved) < Date.parse(observed);
};

/**
 * One pass over one node: updates what was last seen and decides whether its conditions must become Unknown.
 * Pure: `now` is this controller's clock in ms.
 */
export function tryUpdateNodeHealth(
  node: Node,
  saved: NodeHealth | undefined,
  lease: Lease | undefined,
  now: number,
  options: HealthOptions,
): HealthDecision {
  const created = Date.parse(node.metadata.creationTimestamp ?? "") || now;
  const current = readyOf(node.status);
  let health: NodeHealth;
  let gracePeriodMs: number;
  let observedReady: NodeCondition;
  if (!current) {
    // Never posted: judged from the node's creation, with the longer startup grace period.
    const createdAt = formatTime(created);
    observedReady = { type: "Ready", status: "Unknown", lastHeartbeatTime: createdAt, lastTransitionTime: createdAt };
    gracePeriodMs = options.startupGracePeriodMs;
    health = saved
      ? { ...saved, ready: undefined }
      : { probeTimestamp: created, readyTransitionTimestamp: created, ready: undefined };
  } else {
    observedReady = { ...current };
    gracePeriodMs = options.gracePeriodMs;
    if (!saved || !saved.ready) {
      // First sight (this controller just started, or the node just posted): assume alive as of now.
      health = {
        probeTimestamp: now,
        readyTransitionTimestamp: now,
        ready: current,
        leaseRenewTime: saved?.leaseRenewTime,
      };
    } else if (saved.ready.lastHeartbeatTime !== current.lastHeartbeatTime) {
      // The agent posted status since the last pass: a heartbeat.
      const transitioned = saved.ready.lastTransitionTime !== current.lastTransitionTime;
      health = {
        probeTimestamp: now,
        readyTransitionTimestamp: transitioned ? now : saved.readyTransitionTimestamp,
        ready: current,
        leaseRenewTime: saved.leaseRenewTime,
      };
    } else {
      health = { ...saved, ready: current };
    }
  }
  // A renewed lease is a heartbeat too (the cheap one: the agent renews it every 10 s, status only on change).
  const renewTime = lease?.spec?.renewTime;
  if (renewedAfter(renewTime, health.leaseRenewTime))
    health = { ...health, probeTimestamp: now, leaseRenewTime: renewTime };

  if (now <= health.probeTimestamp + gracePeriodMs) return { health, observedReady, currentReady: current };

  // No heartbeat for the grace period: whatever the conditions say, nobody is there to vouch for them.
  const stamp = formatTime(now);
  const conditions = [...(node.status?.conditions ?? [])];
  for (const type of monitoredConditions) {
    const at = conditions.findIndex((c) => c.type === type);
    if (at < 0) {
      conditions.push({
        type,
        status: "Unknown",
        reason: ReasonNodeStatusNeverUpdated,
        message: MessageNodeStatusNeverUpdated,
        lastHeartbeatTime: formatTime(created),
        lastTransitionTime: stamp,
      });
    } else if (conditions[at].status !== "Unknown") {
      conditions[at] = {
        ...conditions[at],
        status: "Unknown",
        reason: ReasonNodeStatusUnknown,
        message: MessageNodeStatusUnknown,
        lastTransitionTime: stamp,
      };
    }
  }
  const status: NodeStatus = { ...(node.status ?? {}), conditions };
  const currentReady = readyOf(status);
  if (sameCondition(currentReady, observedReady)) return { health, observedReady, currentReady };
  return {
    // What we are about to write becomes what we last saw, so the next pass does not count it as a heartbeat.
    health: { ...health, ready: currentReady, readyTransitionTimestamp: now },
    observedReady,
    currentReady,
    status,
  };
}

function sameCondition(a: NodeCondition | undefined, b: NodeCondition | undefined): boolean {
  if (!a || !b) return a === b;
  return (
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastHeartbeatTime === b.lastHeartbeatTime &&
    a.lastTransitionTime === b.lastTransitionTime
  );
}
