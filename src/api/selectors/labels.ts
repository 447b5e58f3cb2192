// Label selectors as apimachinery's pkg/labels (selector.go) and metav1.LabelSelectorAsSelector define them:
// the `-l`/`labelSelector=` string grammar (equality- and set-based, plus upstream's `gt`/`lt`), its validation
// and error wording, matching, and the canonical string form (requirements sorted by key, values sorted).
import type { LabelSelector } from "../meta.js";
import { SelectorParseError } from "./errors.js";
import { parseRequirements } from "./labelparser.js";
import {
  compareStrings,
  newRequirement,
  requirementMatches,
  requirementString,
  type LabelOperator,
  type LabelRequirement,
} from "./requirement.js";
import { goQuote } from "./validation.js";

export { SelectorParseError };
export { requirementString, type LabelOperator, type LabelRequirement };

export interface LabelMatcher {
  /** Sorted by key, as upstream keeps them. */
  readonly requirements: readonly LabelRequirement[];
  /** True when nothing is restricted (matches every object). */
  readonly empty: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
  /** upstream's canonical form, e.g. "app=web,tier in (a,b),!legacy". */
  toString(): string;
}

class RequirementsMatcher implements LabelMatcher {
  readonly requirements: readonly LabelRequirement[];
  constructor(requirements: LabelRequirement[]) {
    // sort.Sort(ByKey): deterministic order and string form; stable so equal keys keep their input order
    this.requirements = [...requirements].sort((a, b) => compareStrings(a.key, b.key));
  }
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(labels: Record<string, string> | undefined): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }
  toString(): string {
    return this.requirements.map(requirementString).join(",");
  }
}

/** labels.Everything(): matches every object. */
export const everything: LabelMatcher = new RequirementsMatcher([]);

/** labels.Nothing(): matches no object (what a nil *metav1.LabelSelector converts to). */
export const nothing: LabelMatcher = {
  requirements: [],
  empty: false,
  matches: () => false,
  toString: () => "",
};

/**
 * labels.Parse: "app=web,tier in (a,b),!legacy,version>2". The empty string selects everything.
 * Throws SelectorParseError worded as upstream.
 */
export function parseLabelSelector(text: string): LabelMatcher {
  return new RequirementsMatcher(parseRequirements(text));
}

const selectorOperators: Record<string, LabelOperator> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

/**
 * metav1.LabelSelectorAsSelector: a PVC's spec.selector, a StatefulSet's spec.selector. An empty selector
 * (no matchLabels, no matchExpressions) matches everything; an absent one (undefined) matches nothing.
 * In/NotIn need values; Exists/DoesNotExist must have none. Throws SelectorParseError worded as upstream.
 */
export function labelMatcherFromSelector(selector: LabelSelector | undefined): LabelMatcher {
  if (selector === undefined || selector === null) return nothing;
  const matchLabels = selector.matchLabels ?? {};
  const matchExpressions = selector.matchExpressions ?? [];
  if (Object.keys(matchLabels).length + matchExpressions.length === 0) return everything;
  const requirements: LabelRequirement[] = [];
  // upstream walks a Go map (random order); sorted keys make the first reported error deterministic
  for (const key of Object.keys(matchLabels).sort(compareStrings))
    requirements.push(newRequirement(key, "=", [matchLabels[key]], ""));
  for (const expression of matchExpressions) {
    const operator = selectorOperators[expression.operator as string];
    if (operator === undefined)
      throw new SelectorParseError(`${goQuote(String(expression.operator))} is not a valid label selector operator`);
    // parse at the boundary: a selector decoded from JSON may lack a key or carry non-string values
    const values = (expression.values ?? []).map((value) => String(value));
    requirements.push(newRequirement(String(expression.key ?? ""), operator, values, ""));
  }
  return new RequirementsMatcher(requirements);
}

/** labels.SelectorFromSet: every label must equal the given value; an empty set matches everything. */
export function labelMatcherFromSet(set: Record<string, string> | undefined): LabelMatcher {
  return new RequirementsMatcher(
    Object.entries(set ?? {}).map(([key, value]) => ({ key, operator: "=" as const, values: [value] })),
  );
}

/**
 * metav1.FormatLabelSelector: how tables and `kubectl describe` print a selector ("app=db,tier in (a,b)"),
 * "<none>" when it selects everything or is absent, "<error>" when it is invalid.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  let text: string;
  try {
    text = labelMatcherFromSelector(selector).toString();
  } catch (err) {
    if (err instanceof SelectorParseError) return "<error>";
    throw err;
  }
  return text.length === 0 ? "<none>" : text;
}
