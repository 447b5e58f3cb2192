// One label selector requirement as apimachinery's labels.Requirement: its operators, upstream's validation
// (labels.NewRequirement, with its error texts), matching, and its canonical string.
import { SelectorParseError } from "./errors.js";
import { aggregate, goQuote, goStringSlice, invalidValue, isQualifiedName, isValidLabelValue } from "./validation.js";

/** upstream's selection.Operator values, spelled as upstream spells them. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** As given; the canonical string sorts them. Empty for exists and "!". */
  readonly values: readonly string[];
}

export const binaryOperators: LabelOperator[] = ["in", "notin", "=", "==", "!=", "gt", "lt"];

/** Requirement.String() */
export function requirementString(r: LabelRequirement): string {
  if (r.operator === "!") return "!" + r.key;
  if (r.operator === "exists") return r.key;
  const op = { "=": "=", "==": "==", "!=": "!=", in: " in ", notin: " notin ", gt: ">", lt: "<" }[r.operator];
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(compareStrings).join(",");
  return r.operator === "in" || r.operator === "notin" ? `${r.key}${op}(${values})` : `${r.key}${op}${values}`;
}

/** Go's sort.Strings order: by UTF-8 bytes, which for our ASCII keys is code-unit order. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const int64 = /^[+-]?[0-9]+$/;
const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
/** strconv.ParseInt(s, 10, 64), or undefined when it would fail. */
function parseInt64(text: string): bigint | undefined {
  if (!int64.test(text)) return undefined;
  const value = BigInt(text);
  return value < int64Min || value > int64Max ? undefined : value;
}

export function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "in":
    case "=":
    case "==":
      return value !== undefined && r.values.includes(value);
    case "notin":
    case "!=":
      return value === undefined || !r.values.includes(value);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      if (value === undefined || r.values.length !== 1) return false;
      const have = parseInt64(value);
      const want = parseInt64(r.values[0]);
      if (have === undefined || want === undefined) return false;
      return r.operator === "gt" ? have > want : have < want;
    }
  }
}

/**
 * labels.NewRequirement: validate one requirement. `path` is the field path upstream reports ("" at the root,
 * which upstream prints without a prefix for key/values).
 */
export function newRequirement(key: string, operator: LabelOperator, values: string[], path: string): LabelRequirement {
  const errs: string[] = [];
  const child = (name: string): string => (path ? `${path}.${name}` : name);
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(invalidValue(child("key"), goQuote(key), keyErrs.join("; ")));
  const valuesPath = child("values");
  // upstream prints the whole values set (nil when empty) beside what is wrong with its size
  const badCount = (detail: string) =>
    errs.push(invalidValue(valuesPath, goStringSlice(values.length ? values : undefined), detail));
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0) badCount("for 'in', 'notin' operators, values set can't be empty");
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1) badCount("exact-match compatibility requires one single value");
      break;
    case "exists":
    case "!":
      if (values.length !== 0) badCount("values set must be empty for exists and does not exist");
      break;
    case "gt":
    case "lt":
      if (values.length !== 1) badCount("for 'Gt', 'Lt' operators, exactly one value is required");
      values.forEach((value, i) => {
        if (parseInt64(value) === undefined)
          errs.push(
            invalidValue(
              `${valuesPath}[${i}]`,
              goQuote(value),
              "for 'Gt', 'Lt' operators, the value must be an integer",
            ),
          );
      });
      break;
  }
  values.forEach((value, i) => {
    const valueErrs = isValidLabelValue(value);
    if (valueErrs.length > 0)
      errs.push(invalidValue(`${valuesPath}[${i}][${key}]`, goQuote(value), valueErrs.join("; ")));
  });
  if (errs.length > 0) throw new SelectorParseError(aggregate(errs));
  return { key, operator, values };
}
