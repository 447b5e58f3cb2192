// The node lifecycle controller's per-key syncs (the periodic passes are in monitor.ts): a node's NoSchedule taints
// follow its conditions at once (doNoScheduleTaintingPass), and a pod bound to a node already not Ready is marked
// not ready at once (processPod), not at the node's next transition.
import type { Node, Pod, Taint } from "../../api/core/types.js";
import { isConflict, isNotFound, type Client, type EventRecorder, type Lister } from "../../client/index.js";
import { formatTime, type NodeHealth } from "./health.js";
import { markPodsNotReady } from "./pods.js";
import { noScheduleTaintChanges, swapTaints } from "./taints.js";

// NodeHealthUpdateRetry.
export const nodeHealthUpdateRetry = 5;

export interface NodeLifecycleSync {
  client: Client;
  nodes: Lister<Node>;
  pods: Lister<Pod>;
  recorder: EventRecorder;
  /** What the last monitor pass saw of each node (monitor.ts keeps it). */
  health: ReadonlyMap<string, NodeHealth>;
  now(): number;
}

/** Writes taint changes on a fresh copy of the node, retrying conflicts (AddOrUpdateTaintOnNode). */
export async function swapNodeTaints(
  ctx: { client: Client; now(): number },
  name: string,
  add: Taint[],
  remove: Taint[],
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    let node: Node;
    try {
      node = await ctx.client.nodes.get(name);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    const taints = swapTaints(node, add, remove, formatTime(ctx.now()));
    if (!taints) return;
    try {
      await ctx.client.nodes.update({ ...node, spec: { ...node.spec, taints } });
      return;
    } catch (err) {
      if (!isConflict(err) || attempt >= nodeHealthUpdateRetry) throw err;
    }
  }
}

/** doNoScheduleTaintingPass for one node. */
export async function syncNoScheduleTaints(ctx: NodeLifecycleSync, name: string): Promise<void> {
  const node = ctx.nodes.get(name);
  if (!node) return;
  const { add, remove } = noScheduleTaintChanges(node);
  if (add.length || remove.length) await swapNodeTaints(ctx, name, add, remove);
}

/** processPod: a pod bound to a node the monitor last saw not Ready is marked not ready now. */
export async function syncPod(ctx: NodeLifecycleSync, key: string): Promise<void> {
  const pod = ctx.pods.get(key);
  const nodeName = pod?.spec.nodeName;
  if (!pod || !nodeName || !ctx.health.has(nodeName)) return;
  const ready = ctx.health.get(nodeName)?.ready;
  if (!ready || ready.status === "True") return;
  await markPodsNotReady(ctx.client, ctx.recorder, [pod], nodeName, formatTime(ctx.now()));
}
