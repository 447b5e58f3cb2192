// Zones (node_lifecycle_controller.go handleDisruption, RateLimitedTimedQueue): NoExecute taints are added per zone
// (region + zone labels) at a limited rate, slower in a partially disrupted large zone and not at all in a small one;
// when no zone has a Ready node, this controller more likely lost the network than every node died, so it stops
// tainting and removes the NoExecute taints until some node is Ready again.
import type { Node, NodeCondition } from "../../api/core/types.js";
import { LabelTopologyRegion, LabelTopologyZone } from "../../api/wellknown.js";
import { TokenBucket } from "../../client/ratelimiter.js";

/** k8s.io/component-helpers/node/topology GetZoneKey: region and zone, "" for a node with neither. */
export function zoneKey(node: Node): string {
  const labels = node.metadata.labels ?? {};
  const region = labels[LabelTopologyRegion] ?? labels["failure-domain.beta.kubernetes.io/region"] ?? "";
  const zone = labels[LabelTopologyZone] ?? labels["failure-domain.beta.kubernetes.io/zone"] ?? "";
  return region === "" && zone === "" ? "" : `${region}:\x00:${zone}`;
}

export type ZoneState = "Initial" | "Normal" | "PartialDisruption" | "FullDisruption";

/**
 * ComputeZoneState: a zone with no Ready node is fully disrupted (then upstream suspects its own network, not the
 * nodes, and stops NoExecute tainting); one where at least unhealthyZoneThreshold of more than two nodes are not
 * Ready is partially disrupted.
 */
export function computeZoneState(
  readyConditions: (NodeCondition | undefined)[],
  unhealthyZoneThreshold: number,
): { notReady: number; state: ZoneState } {
  const ready = readyConditions.filter((c) => c?.status === "True").length;
  const notReady = readyConditions.length - ready;
  if (ready === 0 && notReady > 0) return { notReady, state: "FullDisruption" };
  if (notReady > 2 && notReady / readyConditions.length >= unhealthyZoneThreshold)
    return { notReady, state: "PartialDisruption" };
  return { notReady, state: "Normal" };
}

export interface ZoneRates {
  /** --node-eviction-rate (0.1 per second). */
  evictionLimiterQPS: number;
  /** --secondary-node-eviction-rate (0.01 per second). */
  secondaryEvictionLimiterQPS: number;
  /** --large-cluster-size-threshold (50). */
  largeClusterThreshold: number;
}

/** setLimiterInZone: NoExecute taints per second for a zone in this state (HealthyQPSFunc, ReducedQPSFunc). */
export function zoneQPS(state: ZoneState, zoneSize: number, rates: ZoneRates): number {
  if (state !== "PartialDisruption") return rates.evictionLimiterQPS;
  return zoneSize > rates.largeClusterThreshold ? rates.secondaryEvictionLimiterQPS : 0;
}

export type DisruptionAction =
  /** Every zone is (still) fully disrupted, or nothing changed. */
  | { kind: "none" }
  /** No zone has a Ready node any more: stop tainting, remove the NoExecute taints, all zones FullDisruption. */
  | { kind: "enterFullDisruption" }
  /** Some node is Ready again after a full disruption: every node gets a fresh grace period; zones take `states`. */
  | { kind: "leaveFullDisruption"; states: Map<string, ZoneState> }
  /** The zones whose state changed, with their new state. */
  | { kind: "update"; states: Map<string, ZoneState> };

/**
 * handleDisruption's decision from the zones' previous states and this pass's. `previous` is updated in place as
 * upstream's zoneStates is (zones gone are dropped, new ones start Initial); the caller applies the action.
 */
export function disruptionTransition(previous: Map<string, ZoneState>, next: Map<string, ZoneState>): DisruptionAction {
  for (const zone of next.keys()) if (!previous.has(zone)) previous.set(zone, "Initial");
  const allAreFullyDisrupted = [...next.values()].every((s) => s === "FullDisruption");
  let allWereFullyDisrupted = true;
  for (const [zone, state] of [...previous]) {
    if (!next.has(zone)) {
      previous.delete(zone);
      continue;
    }
    if (state !== "FullDisruption") {
      allWereFullyDisrupted = false;
      break;
    }
  }
  if (allAreFullyDisrupted && allWereFullyDisrupted) return { kind: "none" };
  if (allAreFullyDisrupted) return { kind: "enterFullDisruption" };
  if (allWereFullyDisrupted) {
    return {
      kind: "leaveFullDisruption",
      states: new Map([...previous.keys()].map((z) => [z, next.get(z) ?? "Normal"])),
    };
  }
  const changed = new Map<string, ZoneState>();
  for (const [zone, state] of previous) {
    const to = next.get(zone);
    if (to && to !== state) changed.set(zone, to);
  }
  return changed.size ? { kind: "update", states: changed } : { kind: "none" };
}

/** A zone's queue of nodes waiting for their NoExecute taint, drained at the zone's rate (RateLimitedTimedQueue). */
export class ZoneTainter {
  /** Node name → when it may be tried next (ms). */
  readonly queue = new Map<string, number>();
  private bucket: TokenBucket | undefined;
  constructor(
    qps: number,
    private readonly now: () => number,
  ) {
    this.bucket = qps > 0 ? new TokenBucket(qps, 1, now) : undefined;
  }
  /** SwapLimiter: a new rate, starting with a full burst of one; 0 stops tainting. */
  swapLimiter(qps: number): void {
    this.bucket = qps > 0 ? new TokenBucket(qps, 1, this.now) : undefined;
  }
  tryAccept(): boolean {
    return this.bucket?.tryAccept() ?? false;
  }
}
