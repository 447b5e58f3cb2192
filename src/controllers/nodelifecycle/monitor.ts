// The node lifecycle controller's periodic passes (upstream monitorNodeHealth, doNoExecuteTaintingPass,
// handleDisruption): heartbeats checked every monitor period, Unknown conditions written, NodeNotReady events, pods
// marked not ready, and the NoExecute taints queued per zone and rate-limited, stopped when every zone is down.
import type { Node, NodeCondition, Pod } from "../../api/core/types.js";
import type { Lease } from "../../api/coordination/types.js";
import { NamespaceNodeLease } from "../../api/wellknown.js";
import { isNotFound, type Client, type EventRecorder, type Lister } from "../../client/index.js";
import type { Log } from "../../support/log.js";
import { formatTime, tryUpdateNodeHealth, type NodeHealth } from "./health.js";
import { EventNodeNotReady, markPodsNotReady } from "./pods.js";
import { nodeHealthUpdateRetry, swapNodeTaints } from "./sync.js";
import { NotReadyTaintTemplate, taintExists, UnreachableTaintTemplate } from "./taints.js";
import {
  computeZoneState,
  disruptionTransition,
  zoneKey,
  zoneQPS,
  ZoneTainter,
  type ZoneRates,
  type ZoneState,
} from "./zones.js";

export const EventRegisteredNode = "RegisteredNode";
export const EventRemovingNode = "RemovingNode";
/** Pods by spec.nodeName. */
export const podsByNode = "nodelifecycle-node";

export interface MonitorContext {
  client: Client;
  nodes: Lister<Node>;
  leases: Lister<Lease>;
  /** Indexed by podsByNode. */
  pods: Lister<Pod>;
  recorder: EventRecorder;
  log: Log;
  now(): number;
  gracePeriodMs: number;
  startupGracePeriodMs: number;
  rates: ZoneRates;
  unhealthyZoneThreshold: number;
}

/** What the controller remembers between passes: node health, known nodes, zones and their tainting queues. */
export class NodeMonitor {
  readonly health = new Map<string, NodeHealth>();
  private readonly known = new Map<string, Node>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly tainters = new Map<string, ZoneTainter>();
  private readonly nodesToRetry = new Set<string>();

  constructor(private readonly ctx: MonitorContext) {}

  private leaseOf(name: string): Lease | undefined {
    return this.ctx.leases.get(`${NamespaceNodeLease}/${name}`);
  }

  private podsOn(name: string): Pod[] {
    return this.ctx.pods.byIndex(podsByNode, name);
  }

  private nodeEvent(node: Node, reason: string, message: string): void {
    this.ctx.recorder.event(
      { apiVersion: "v1", kind: "Node", name: node.metadata.name ?? "", uid: node.metadata.uid ?? "" },
      "Normal",
      reason,
      message,
    );
  }

  tainterOf(node: Node): ZoneTainter {
    const zone = zoneKey(node);
    let tainter = this.tainters.get(zone);
    if (!tainter) {
      // addPodEvictorForNewZone
      tainter = new ZoneTainter(this.ctx.rates.evictionLimiterQPS, this.ctx.now);
      this.tainters.set(zone, tainter);
      this.zoneStates.set(zone, "Initial");
    }
    return tainter;
  }

  /** markNodeAsReachable: both NoExecute taints off, and out of the tainting queue. */
  async markNodeAsReachable(node: Node): Promise<void> {
    if (
      taintExists(node.spec?.taints, UnreachableTaintTemplate) ||
      taintExists(node.spec?.taints, NotReadyTaintTemplate)
    )
      await swapNodeTaints(this.ctx, node.metadata.name ?? "", [], [UnreachableTaintTemplate, NotReadyTaintTemplate]);
    this.tainterOf(node).queue.delete(node.metadata.name ?? "");
  }

  /** processTaintBaseEviction: queue the NoExecute taint (or swap it at once if the opposite one is there). */
  async processTaintBaseEviction(node: Node, status: string): Promise<void> {
    const name = node.metadata.name ?? "";
    const taints = node.spec?.taints;
    if (status === "False" || status === "Unknown") {
      const [want, opposite] =
        status === "False"
          ? [NotReadyTaintTemplate, UnreachableTaintTemplate]
          : [UnreachableTaintTemplate, NotReadyTaintTemplate];
      if (taintExists(taints, opposite)) await swapNodeTaints(this.ctx, name, [want], [opposite]);
      else {
        const tainter = this.tainterOf(node);
        if (!tainter.queue.has(name) && !taintExists(taints, want)) tainter.queue.set(name, this.ctx.now());
      }
    } else if (status === "True") {
      await this.markNodeAsReachable(node);
    }
  }

  /** doNoExecuteTaintingPass: each zone's queue, as fast as its limiter lets. */
  async noExecuteTaintingPass(): Promise<void> {
    for (const tainter of this.tainters.values()) {
      for (const [name, at] of [...tainter.queue]) {
        if (at > this.ctx.now()) continue;
        if (!tainter.tryAccept()) break;
        const node = this.ctx.nodes.get(name);
        const ready = node?.status?.conditions?.find((c) => c.type === "Ready");
        if (!node) {
          tainter.queue.delete(name);
          continue;
        }
        if (!ready) {
          tainter.queue.set(name, this.ctx.now() + 50);
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
            await swapNodeTaints(this.ctx, name, [swap.add], [swap.remove]);
          } catch (err) {
            this.ctx.log("tainting an unresponsive node failed; will retry", { node: name, err: String(err) });
            tainter.queue.set(name, this.ctx.now());
            continue;
          }
        }
        tainter.queue.delete(name);
      }
    }
  }

  /** Writes the Unknown conditions, re-reading the node on a conflict (upstream retries five times). */
  async updateHealth(node: Node): Promise<ReturnType<typeof tryUpdateNodeHealth> | undefined> {
    let current = node;
    for (let attempt = 0; ; attempt++) {
      const name = current.metadata.name ?? "";
      const decision = tryUpdateNodeHealth(current, this.health.get(name), this.leaseOf(name), this.ctx.now(), {
        gracePeriodMs: this.ctx.gracePeriodMs,
        startupGracePeriodMs: this.ctx.startupGracePeriodMs,
      });
      if (!decision.status) {
        this.health.set(name, decision.health);
        return decision;
      }
      try {
        await this.ctx.client.nodes.updateStatus({ ...current, status: decision.status });
        this.health.set(name, decision.health);
        return decision;
      } catch (err) {
        if (attempt >= nodeHealthUpdateRetry) throw err;
        try {
          current = await this.ctx.client.nodes.get(name);
        } catch (getErr) {
          if (isNotFound(getErr)) return undefined;
          throw getErr;
        }
      }
    }
  }

  /** monitorNodeHealth: one pass over every node. */
  async monitorNodeHealth(): Promise<void> {
    const all = this.ctx.nodes.list();
    const names = new Set(all.map((n) => n.metadata.name ?? ""));
    for (const node of all) {
      const name = node.metadata.name ?? "";
      if (this.known.has(name)) continue;
      this.nodeEvent(node, EventRegisteredNode, `Node ${name} event: Registered Node ${name} in Controller`);
      this.known.set(name, node);
      await this.markNodeAsReachable(node).catch((err: unknown) =>
        this.ctx.log("removing taints from a new node failed", { node: name, err: String(err) }),
      );
    }
    for (const [name, node] of this.known) {
      if (names.has(name)) continue;
      this.nodeEvent(node, EventRemovingNode, `Node ${name} event: Removing Node ${name} from Controller`);
      this.known.delete(name);
      this.health.delete(name);
      this.nodesToRetry.delete(name);
    }

    const zoneConditions = new Map<string, (NodeCondition | undefined)[]>();
    await Promise.all(all.map((node) => this.monitorNode(node, zoneConditions)));
    await this.handleDisruption(zoneConditions, all);
  }

  /** One node of a monitor pass: its health written, its NoExecute taint queued or lifted, its pods marked. */
  private async monitorNode(node: Node, zoneConditions: Map<string, (NodeCondition | undefined)[]>): Promise<void> {
    const name = node.metadata.name ?? "";
    let decision;
    try {
      decision = await this.updateHealth(node);
    } catch (err) {
      this.ctx.log("updating node health failed; no pods will be marked", { node: name, err: String(err) });
      return;
    }
    if (!decision) return;
    const zone = zoneKey(node);
    this.tainterOf(node);
    zoneConditions.set(zone, [...(zoneConditions.get(zone) ?? []), decision.currentReady]);
    if (!decision.currentReady) return;
    await this.processTaintBaseEviction(node, decision.observedReady.status).catch((err: unknown) =>
      this.ctx.log("NoExecute taint update failed; will retry", { node: name, err: String(err) }),
    );
    const becameNotReady = decision.currentReady.status !== "True" && decision.observedReady.status === "True";
    if (becameNotReady) this.nodeEvent(node, EventNodeNotReady, `Node ${name} status is now: ${EventNodeNotReady}`);
    if (becameNotReady || (this.nodesToRetry.has(name) && decision.observedReady.status !== "True")) {
      try {
        await markPodsNotReady(this.ctx.client, this.ctx.recorder, this.podsOn(name), name, formatTime(this.ctx.now()));
      } catch (err) {
        this.ctx.log("marking pods not ready failed; will retry", { node: name, err: String(err) });
        this.nodesToRetry.add(name);
        return;
      }
    }
    this.nodesToRetry.delete(name);
  }

  /**
   * handleDisruption: when every zone has no Ready node, this controller is more likely cut off than all nodes
   * dead, so NoExecute tainting stops and existing NoExecute taints go (the NoSchedule ones stay).
   */
  async handleDisruption(zoneConditions: Map<string, (NodeCondition | undefined)[]>, all: Node[]): Promise<void> {
    const next = new Map<string, ZoneState>();
    for (const [zone, conditions] of zoneConditions)
      next.set(zone, computeZoneState(conditions, this.ctx.unhealthyZoneThreshold).state);
    const action = disruptionTransition(this.zoneStates, next);
    const setState = (zone: string, state: ZoneState) => {
      this.tainters.get(zone)?.swapLimiter(zoneQPS(state, zoneConditions.get(zone)?.length ?? 0, this.ctx.rates));
      this.zoneStates.set(zone, state);
    };
    switch (action.kind) {
      case "none":
        return;
      case "enterFullDisruption":
        this.ctx.log("no node is Ready: entering disruption mode (no NoExecute taints until one is)", {});
        for (const node of all)
          await this.markNodeAsReachable(node).catch((err: unknown) =>
            this.ctx.log("removing taints failed", { node: node.metadata.name, err: String(err) }),
          );
        for (const zone of this.zoneStates.keys()) {
          this.tainters.get(zone)?.swapLimiter(0);
          this.zoneStates.set(zone, "FullDisruption");
        }
        return;
      case "leaveFullDisruption":
        this.ctx.log("some nodes are Ready: leaving disruption mode", {});
        // Everyone gets a fresh grace period: their silence may have been ours.
        for (const [name, saved] of this.health)
          this.health.set(name, { ...saved, probeTimestamp: this.ctx.now(), readyTransitionTimestamp: this.ctx.now() });
        for (const [zone, state] of action.states) setState(zone, state);
        return;
      case "update":
        for (const [zone, state] of action.states) setState(zone, state);
    }
  }
}
