// Fast, safe failover (issue 17; docs/fencing.md). Upstream waits 40 s for NotReady, 300 s for the NoExecute
// toleration and another 6 minutes (maxWaitForUnmount) before a dead node's ReadWriteOnce volumes can move, because
// it cannot know the node stopped writing. stowage's node agent fences itself when it cannot renew its Lease for
// --fence-after (10 s): it stops the pods using such volumes and releases them. So once a node's Lease has not
// moved for --node-fence-grace (15 s, longer than the agent's deadline plus the time to fence) on this controller's
// own clock, the node has fenced itself or is dead, and this controller takes upstream's non-graceful shutdown path
// at once: the node.kubernetes.io/out-of-service taint (NoExecute), its pods force-deleted (their controllers make
// new ones elsewhere), and the attach-detach controller detaches their volumes without waiting (reconciler.ts skips
// maxWaitForUnmount for out-of-service nodes, as upstream). The taint comes off only when the node is back and
// says (annotation AnnFencedVolumesReleased, written by its agent) that nothing it fenced is still attached there.
import type { Node, Pod, Taint } from "../../api/core/types.js";
import type { Lease } from "../../api/coordination/types.js";
import {
  AnnFencedVolumesReleased,
  AnnOutOfServiceSince,
  NamespaceNodeLease,
  TaintNodeOutOfService,
} from "../../api/wellknown.js";

export { AnnFencedVolumesReleased, AnnOutOfServiceSince };
import { isConflict, isNotFound, type Client, type EventRecorder, type Lister } from "../../client/index.js";
import type { Log } from "../../support/log.js";
import { toleratesTaint } from "../daemonset/predicates.js";
import { formatTime } from "./health.js";

/** The taint upstream's non-graceful node shutdown documents (value "nodeshutdown"), added by us. */
export const OutOfServiceTaint: Taint = { key: TaintNodeOutOfService, value: "nodeshutdown", effect: "NoExecute" };

export const EventOutOfService = "NodeOutOfService";
export const EventOutOfServiceRemoved = "NodeOutOfServiceRemoved";
/** Upstream's NoExecuteTaintManager event on each pod it deletes. */
export const EventTaintManagerEviction = "TaintManagerEviction";

export const defaultNodeFenceGraceMs = 15_000;

export interface FencingFacts {
  node: Node;
  /** The pods bound to the node. */
  pods: Pod[];
  /** How long this controller has not seen the node's Lease move. */
  silentForMs: number;
  graceMs: number;
  /** Some other node renews its Lease: this controller is not the one cut off. */
  anotherNodeHealthy: boolean;
}

export type FencingStep =
  { kind: "none" } | { kind: "taint" } | { kind: "evict"; pods: Pod[] } | { kind: "removeTaint" };

const hasOutOfService = (node: Node) => node.spec?.taints?.some((t) => t.key === TaintNodeOutOfService) ?? false;

/** One node's next step; the rules are in the order they are checked. */
export function fencingStep(facts: FencingFacts): FencingStep {
  const { node, pods, silentForMs, graceMs } = facts;
  const silent = silentForMs >= graceMs;
  const tainted = hasOutOfService(node);
  const ours = tainted && node.metadata.annotations?.[AnnOutOfServiceSince] !== undefined;
  if (ours && !silent && node.metadata.annotations?.[AnnFencedVolumesReleased] === "true") {
    return { kind: "removeTaint" };
  }
  // A whole cluster silent is more likely our own partition than every node dead: fence nobody (handleDisruption).
  if (!tainted && silent && facts.anotherNodeHealthy) return { kind: "taint" };
  if (tainted && silent) {
    const evict = pods.filter(
      (pod) => !(pod.spec.tolerations ?? []).some((toleration) => toleratesTaint(toleration, OutOfServiceTaint)),
    );
    if (evict.length > 0) return { kind: "evict", pods: evict };
  }
  return { kind: "none" };
}

export interface FencingContext {
  client: Client;
  nodes: Lister<Node>;
  recorder: EventRecorder;
  log: Log;
  now(): number;
  graceMs: number;
  podsOn(node: string): Pod[];
}

/** The Lease clock and the passes that act on it; one per controller. */
export class NodeFencing {
  /** Each node's Lease renewTime as last seen, and when (this controller's clock). */
  private readonly seen = new Map<string, { renewTime?: string; at: number }>();

  constructor(private readonly ctx: FencingContext) {}

  /** A Lease changed: if it was renewed, the node is alive as of now. */
  observe(lease: Lease): void {
    if (lease.metadata.namespace !== NamespaceNodeLease) return;
    const name = lease.metadata.name ?? "";
    const renewTime = lease.spec?.renewTime;
    const last = this.seen.get(name);
    if (!last || last.renewTime !== renewTime) this.seen.set(name, { renewTime, at: this.ctx.now() });
  }

  private silentForMs(name: string): number {
    let last = this.seen.get(name);
    // A node we never saw renew gets a full grace period from now (a restarted controller too).
    if (!last) this.seen.set(name, (last = { at: this.ctx.now() }));
    return this.ctx.now() - last.at;
  }

  async pass(): Promise<void> {
    const nodes = this.ctx.nodes.list();
    const silence = new Map(
      nodes.map((node) => [node.metadata.name ?? "", this.silentForMs(node.metadata.name ?? "")]),
    );
    for (const node of nodes) {
      const name = node.metadata.name ?? "";
      const facts = {
        node,
        pods: this.ctx.podsOn(name),
        silentForMs: silence.get(name) ?? 0,
        graceMs: this.ctx.graceMs,
        anotherNodeHealthy: [...silence].some(([other, ms]) => other !== name && ms < this.ctx.graceMs),
      };
      try {
        let step = fencingStep(facts);
        if (step.kind === "taint") {
          await this.taint(node, facts.silentForMs);
          step = fencingStep({ ...facts, node: { ...node, spec: { ...node.spec, taints: [OutOfServiceTaint] } } });
        }
        if (step.kind === "evict") await this.evict(step.pods);
        if (step.kind === "removeTaint") await this.removeTaint(node);
      } catch (err) {
        this.ctx.log("fencing step failed; will retry", { node: name, err: String(err) });
      }
    }
    for (const name of this.seen.keys()) if (!silence.has(name)) this.seen.delete(name);
  }

  /** Re-reads the node and writes `change(node)` (undefined: nothing to write), retrying conflicts. */
  private async updateNode(name: string, change: (node: Node) => Node | undefined): Promise<Node | undefined> {
    for (let attempt = 0; ; attempt++) {
      let node: Node;
      try {
        node = await this.ctx.client.nodes.get(name);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
      const next = change(node);
      if (!next) return undefined;
      try {
        return await this.ctx.client.nodes.update(next);
      } catch (err) {
        if (!isConflict(err) || attempt >= 5) throw err;
      }
    }
  }

  private async taint(node: Node, silentForMs: number): Promise<void> {
    const name = node.metadata.name ?? "";
    const now = formatTime(this.ctx.now());
    const updated = await this.updateNode(name, (current) => {
      if (hasOutOfService(current)) return undefined;
      const { [AnnFencedVolumesReleased]: _, ...annotations } = current.metadata.annotations ?? {};
      return {
        ...current,
        metadata: { ...current.metadata, annotations: { ...annotations, [AnnOutOfServiceSince]: now } },
        spec: { ...current.spec, taints: [...(current.spec?.taints ?? []), { ...OutOfServiceTaint, timeAdded: now }] },
      };
    });
    if (!updated) return;
    this.nodeEvent(
      node,
      "Warning",
      EventOutOfService,
      `Node ${name} has not renewed its lease for ${Math.round(silentForMs / 1000)}s: tainted ` +
        `${TaintNodeOutOfService}:NoExecute; its pods are deleted and their volumes detached`,
    );
  }

  /** Force-deletes (grace period 0) each pod: its node has fenced itself or is dead, and will not confirm. */
  private async evict(pods: Pod[]): Promise<void> {
    for (const pod of pods) {
      const { namespace = "", name = "" } = pod.metadata;
      this.ctx.recorder.event(
        pod,
        "Normal",
        EventTaintManagerEviction,
        `Marking for deletion Pod ${namespace}/${name}`,
      );
      try {
        await this.ctx.client.pods.delete(namespace, name, { gracePeriodSeconds: 0 });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }

  private async removeTaint(node: Node): Promise<void> {
    const name = node.metadata.name ?? "";
    const updated = await this.updateNode(name, (current) => {
      const annotations = { ...(current.metadata.annotations ?? {}) };
      if (annotations[AnnOutOfServiceSince] === undefined) return undefined;
      delete annotations[AnnOutOfServiceSince];
      delete annotations[AnnFencedVolumesReleased];
      const taints = (current.spec?.taints ?? []).filter((t) => t.key !== TaintNodeOutOfService);
      return { ...current, metadata: { ...current.metadata, annotations }, spec: { ...current.spec, taints } };
    });
    if (!updated) return;
    this.nodeEvent(
      node,
      "Normal",
      EventOutOfServiceRemoved,
      `Node ${name} renewed its lease and released the volumes it fenced: taint ${TaintNodeOutOfService} removed`,
    );
  }

  private nodeEvent(node: Node, type: "Normal" | "Warning", reason: string, message: string): void {
    const ref = { apiVersion: "v1", kind: "Node", name: node.metadata.name ?? "", uid: node.metadata.uid ?? "" };
    this.ctx.recorder.event(ref, type, reason, message);
  }
}
