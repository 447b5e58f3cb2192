// Which nodes carry a label, kept up to date from node events, so that a volume's node affinity (`zone In [a]`,
// `hostname In [node-7]`) names its nodes without testing every node. `generation` moves whenever a node comes,
// goes or changes its labels: answers worked out from the index are valid while it stays.
import type { Node } from "../api/core/types.js";

const labelKey = (key: string, value: string): string => `${key}\u0000${value}`;

export class NodeLabelIndex {
  private readonly byLabel = new Map<string, Set<string>>();
  private readonly labelsOf = new Map<string, Readonly<Record<string, string>>>();
  private generationCount = 0;

  get generation(): number {
    return this.generationCount;
  }

  /** The node as the informer now holds it. */
  set(node: Node): void {
    const name = node.metadata.name ?? "";
    const labels = node.metadata.labels ?? {};
    const was = this.labelsOf.get(name);
    if (was && sameLabels(was, labels)) return;
    this.delete(name);
    this.labelsOf.set(name, labels);
    for (const [key, value] of Object.entries(labels)) {
      const names = this.byLabel.get(labelKey(key, value));
      if (names) names.add(name);
      else this.byLabel.set(labelKey(key, value), new Set([name]));
    }
    this.generationCount++;
  }

  delete(name: string): void {
    const was = this.labelsOf.get(name);
    if (!was) return;
    this.labelsOf.delete(name);
    for (const [key, value] of Object.entries(was)) {
      const names = this.byLabel.get(labelKey(key, value));
      names?.delete(name);
      if (names?.size === 0) this.byLabel.delete(labelKey(key, value));
    }
    this.generationCount++;
  }

  /** The nodes with label key=value (read-only; empty when none). */
  withLabel(key: string, value: string): ReadonlySet<string> {
    return this.byLabel.get(labelKey(key, value)) ?? none;
  }

  has(name: string): boolean {
    return this.labelsOf.has(name);
  }
}

const none: ReadonlySet<string> = new Set();

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.prototype.hasOwnProperty.call(b, key) && a[key] === b[key]);
}
