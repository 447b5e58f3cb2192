// How many nodes a scheduling cycle filters (upstream's numFeasibleNodesToFind and findNodesThatPassFilters in
// pkg/scheduler/schedule_one.go): in a big cluster a pod stops filtering once it has found enough feasible nodes,
// and the next pod starts where this one stopped, so that every node has the same chance of being looked at.
// Without it every pod ran every filter on every node: 5,000 nodes cost 5,000 filter runs per pod.

/** Upstream's minFeasibleNodesToFind: below this many nodes every node is filtered. */
export const MinFeasibleNodesToFind = 100;
/** Upstream's minFeasibleNodesPercentageToFind: the adaptive percentage never goes below this. */
export const MinFeasibleNodesPercentageToFind = 5;

/**
 * How many feasible nodes end the search. `percentageOfNodesToScore` is the configuration's (0 to 100); 0 or
 * unset is upstream's adaptive default: 50% minus one point per 125 nodes, at least 5%, at least 100 nodes.
 */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MinFeasibleNodesToFind) return numAllNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage === 0) {
    percentage = 50 - Math.trunc(numAllNodes / 125);
    if (percentage < MinFeasibleNodesPercentageToFind) percentage = MinFeasibleNodesPercentageToFind;
  }
  const numNodes = Math.trunc((numAllNodes * percentage) / 100);
  return numNodes < MinFeasibleNodesToFind ? MinFeasibleNodesToFind : numNodes;
}

/** The configuration's percentageOfNodesToScore, refused as upstream's validation refuses it. */
export function checkPercentageOfNodesToScore(value: number | undefined): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > 100) {
    throw new RangeError(`percentageOfNodesToScore: Invalid value: ${value}: not in valid range [0-100]`);
  }
}

/** What filtering one node answered: the feasible node's result, or why it was rejected. */
export type NodeVerdict<Found, Rejected> = { feasible: Found } | { rejected: Rejected };

export interface FilterOutcome<Found, Rejected> {
  /** Feasible nodes in the order they were found, at most `toFind`. */
  feasible: Found[];
  /** Why each filtered node that did not fit was rejected. */
  rejected: Rejected[];
  /** How many nodes were filtered: the next cycle starts this many nodes further on. */
  processed: number;
}

/** Filters `nodes` from `start`, wrapping around, until `toFind` fit or every node was tried. */
export function findNodesThatPassFilters<Node, Found, Rejected>(
  nodes: readonly Node[],
  start: number,
  toFind: number,
  filter: (node: Node) => NodeVerdict<Found, Rejected>,
): FilterOutcome<Found, Rejected> {
  const feasible: Found[] = [];
  const rejected: Rejected[] = [];
  let processed = 0;
  for (; processed < nodes.length && feasible.length < toFind; processed++) {
    const verdict = filter(nodes[(start + processed) % nodes.length]);
    if ("feasible" in verdict) feasible.push(verdict.feasible);
    else rejected.push(verdict.rejected);
  }
  return { feasible, rejected, processed };
}
