// Which volumes a claim's label selector picks, and which nodes a volume's node affinity admits: the two
// selector checks of smallest fit (FindMatchingVolume's selector.Matches and CheckNodeAffinity). The matching
// itself is api/selectors' (one label and one node-selector implementation for every part).
import type { PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import type { LabelMatcher } from "../selectors/labels.js";
import { labelMatcherFromSelector } from "../selectors/labels.js";
import type { NodeLabels } from "../selectors/nodeselector.js";
import { nodeSelectorMatches } from "../selectors/nodeselector.js";

/** A claim's selector failed to convert: upstream's "error creating internal label selector for claim". */
export class ClaimSelectorError extends Error {
  override name = "ClaimSelectorError";
  constructor(claim: PersistentVolumeClaim, cause: unknown) {
    super(
      `error creating internal label selector for claim: ${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

/**
 * The claim's spec.selector as a matcher for volume labels; undefined when the claim has none (every volume
 * passes). An empty selector matches every volume. Throws ClaimSelectorError for a selector that cannot match.
 */
export function claimSelector(claim: PersistentVolumeClaim): LabelMatcher | undefined {
  const selector = claim.spec?.selector;
  if (!selector) return undefined;
  try {
    return labelMatcherFromSelector(selector);
  } catch (err) {
    throw new ClaimSelectorError(claim, err);
  }
}

/**
 * CheckNodeAffinity: the volume has no required node affinity, or one of its terms admits the node (terms are
 * ORed, a term's requirements ANDed, an empty term admits nothing).
 */
export function checkNodeAffinity(volume: PersistentVolume, node: NodeLabels): boolean {
  const required = volume.spec?.nodeAffinity?.required;
  return !required || nodeSelectorMatches(required, node);
}
