// How many pods each node holds and how many volumes they declare, kept up to date from pod events (upstream's
// NodeInfo keeps a node's pods the same way). Every filter of every node asked the pod informer's node index for
// the node's pods, and each answer was a new array: in the scale bench that was millions of arrays per run.
import type { Pod } from "../api/core/types.js";

interface Placed {
  node: string;
  volumes: number;
}

export interface NodeLoad {
  pods: number;
  volumes: number;
}

export class PodsByNode {
  /** pod key → where it runs and how many volumes it declares, for pods with spec.nodeName. */
  private readonly placed = new Map<string, Placed>();
  private readonly perNode = new Map<string, NodeLoad>();

  /** The pod as the informer now holds it (add, update, resync): counted on its node, if it has one. */
  set(key: string, pod: Pod): void {
    const node = pod.spec.nodeName;
    const volumes = pod.spec.volumes?.length ?? 0;
    const was = this.placed.get(key);
    if (was && was.node === node && was.volumes === volumes) return;
    this.delete(key);
    if (!node) return;
    this.placed.set(key, { node, volumes });
    const load = this.perNode.get(node);
    if (load) {
      load.pods++;
      load.volumes += volumes;
    } else this.perNode.set(node, { pods: 1, volumes });
  }

  /** The pod is gone (a delete for a pod never seen is a no-op). */
  delete(key: string): void {
    const was = this.placed.get(key);
    if (!was) return;
    this.placed.delete(key);
    const load = this.perNode.get(was.node);
    if (!load) return;
    load.pods--;
    load.volumes -= was.volumes;
    if (load.pods === 0) this.perNode.delete(was.node);
  }

  /** Pods bound to the node. */
  podCount(node: string): number {
    return this.perNode.get(node)?.pods ?? 0;
  }

  /** The volumes those pods declare: at most this many CSI volumes are in use on the node. */
  volumeCount(node: string): number {
    return this.perNode.get(node)?.volumes ?? 0;
  }
}
