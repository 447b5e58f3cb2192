// Node selector matching as upstream's component-helpers/scheduling/corev1/nodeaffinity: a NodeSelector's terms
// are ORed, a term's requirements ANDed, an empty term matches nothing; matchFields knows only metadata.name.
// Shared by the scheduler (pod node affinity, PV node affinity, allowedTopologies) and the PV binder (PV node affinity).
import type { Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm } from "../core/types.js";
import type { TopologySelectorTerm } from "../storage/types.js";

/** What a node offers to selectors: its name (matchFields) and labels (matchExpressions). */
export interface NodeLabels {
  name: string;
  labels: Record<string, string>;
}

export const nodeLabelsOf = (node: Node): NodeLabels => ({
  name: node.metadata.name ?? "",
  labels: node.metadata.labels ?? {},
});

export function requirementMatches(r: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const values = r.values ?? [];
  switch (r.operator) {
    case "In":
      return has && values.includes(labels[r.key]);
    case "NotIn":
      return !has || !values.includes(labels[r.key]);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
    case "Gt":
    case "Lt": {
      // upstream parses both sides as int64; anything else does not match
      if (!has || values.length !== 1 || !/^-?\d+$/.test(labels[r.key]) || !/^-?\d+$/.test(values[0])) return false;
      const have = BigInt(labels[r.key]);
      const want = BigInt(values[0]);
      return r.operator === "Gt" ? have > want : have < want;
    }
    default:
      return false;
  }
}

export function termMatches(term: NodeSelectorTerm, node: NodeLabels): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((r) => requirementMatches(r, node.labels)) &&
    fields.every((r) => r.key === "metadata.name" && requirementMatches(r, { "metadata.name": node.name }))
  );
}

/** A NodeSelector admits the node when one of its terms does (no terms: no node). */
export function nodeSelectorMatches(selector: NodeSelector, node: NodeLabels): boolean {
  return (selector.nodeSelectorTerms ?? []).some((term) => termMatches(term, node));
}

/** MatchTopologySelectorTerms (StorageClass allowedTopologies): no terms admit every node; an empty term none. */
export function topologyTermsMatch(terms: readonly TopologySelectorTerm[] | undefined, labels: Record<string, string>) {
  if (!terms || terms.length === 0) return true;
  return terms.some((term) => {
    const expressions = term.matchLabelExpressions ?? [];
    if (expressions.length === 0) return false;
    return expressions.every(
      (e) => Object.prototype.hasOwnProperty.call(labels, e.key) && e.values.includes(labels[e.key]),
    );
  });
}
