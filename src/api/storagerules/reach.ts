// Which of a claim's free candidate volumes a node can reach, without asking every volume. The scheduler asks for
// every node of every pod; with one local-style volume per node (node affinity `hostname In [node]`) a scan of every
// candidate per node made a pod cost nodes × volumes affinity checks (5,000 × 5,000 per pod in the scale bench).
// Volumes whose affinity is one term with one `In` requirement are indexed by the label it asks for; volumes
// without required affinity reach every node; anything else is checked one by one, as before. The answer is the
// same as scanning the list in order: the first open volume the node reaches.
import type { PersistentVolume } from "../core/types.js";
import type { NodeLabels } from "../selectors/nodeselector.js";
import { checkNodeAffinity } from "./affinity.js";

/** A volume's required affinity, when it is exactly one `key In values` requirement. */
function singleIn(volume: PersistentVolume): { key: string; values: string[] } | "everywhere" | undefined {
  const required = volume.spec?.nodeAffinity?.required;
  if (!required) return "everywhere";
  const terms = required.nodeSelectorTerms ?? [];
  if (terms.length !== 1) return undefined;
  const [term] = terms;
  const expressions = term.matchExpressions ?? [];
  if ((term.matchFields ?? []).length > 0 || expressions.length !== 1) return undefined;
  const [requirement] = expressions;
  if (requirement.operator !== "In") return undefined;
  return { key: requirement.key, values: requirement.values ?? [] };
}

const labelKey = (key: string, value: string) => `${key}\u0000${value}`;

export class ReachIndex {
  /** Positions in `volumes` (ascending), by what they need of a node. */
  private readonly everywhere: number[] = [];
  private readonly byLabel = new Map<string, number[]>();
  private readonly others: number[] = [];

  constructor(private readonly volumes: readonly PersistentVolume[]) {
    volumes.forEach((volume, i) => {
      const needs = singleIn(volume);
      if (needs === "everywhere") this.everywhere.push(i);
      else if (!needs) this.others.push(i);
      else {
        for (const value of new Set(needs.values)) {
          const key = labelKey(needs.key, value);
          const list = this.byLabel.get(key);
          if (list) list.push(i);
          else this.byLabel.set(key, [i]);
        }
      }
    });
  }

  /** The first volume in list order that `open` allows and the node reaches (any node when none is given). */
  first(node: NodeLabels | undefined, open: (volume: PersistentVolume) => boolean): PersistentVolume | undefined {
    if (!node) return this.volumes.find(open);
    let best = Infinity;
    const consider = (positions: readonly number[], check: boolean) => {
      for (const i of positions) {
        if (i >= best) return; // ascending: nothing later in this list can come first
        const volume = this.volumes[i];
        if (open(volume) && (!check || checkNodeAffinity(volume, node))) {
          best = i;
          return;
        }
      }
    };
    consider(this.everywhere, false);
    for (const key in node.labels) {
      const positions = this.byLabel.get(labelKey(key, node.labels[key]));
      if (positions) consider(positions, false);
    }
    consider(this.others, true);
    return best === Infinity ? undefined : this.volumes[best];
  }
}
