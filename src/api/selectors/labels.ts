// Label selectors as apimachinery's pkg/labels (selector.go) and metav1.LabelSelectorAsSelector define them:
// the `-l`/`labelSelector=` string grammar (equality- and set-based, plus upstream's `gt`/`lt`), its validation
// and error wording, matching, and the canonical string form (requirements sorted by key, values sorted).
import type { LabelSelector } from "../meta.js";
import { SelectorParseError } from "./errors.js";
import { aggregate, goQuote, goStringSlice, invalidValue, isQualifiedName, isValidLabelValue } from "./validation.js";

/** upstream's selection.Operator values, spelled as upstream spells them. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

export { SelectorParseError };

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** As given; the canonical string sorts them. Empty for exists and "!". */
  readonly values: readonly string[];
}

export interface LabelMatcher {
  /** Sorted by key, as upstream keeps them. */
  readonly requirements: readonly LabelRequirement[];
  /** True when nothing is restricted (matches every object). */
  readonly empty: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
  /** upstream's canonical form, e.g. "app=web,tier in (a,b),!legacy". */
  toString(): string;
}

const binaryOperators: LabelOperator[] = ["in", "notin", "=", "==", "!=", "gt", "lt"];

/** Requirement.String() */
export function requirementString(r: LabelRequirement): string {
  if (r.operator === "!") return "!" + r.key;
  if (r.operator === "exists") return r.key;
  const op = { "=": "=", "==": "==", "!=": "!=", in: " in ", notin: " notin ", gt: ">", lt: "<" }[r.operator];
  const values = r.values.length === 1 ? r.values[0] : [...r.values].sort(compareStrings).join(",");
  return r.operator === "in" || r.operator === "notin" ? `${r.key}${op}(${values})` : `${r.key}${op}${values}`;
}

/** Go's sort.Strings order: by UTF-8 bytes, which for our ASCII keys is code-unit order. */
function compareStrings(a: string, b: string): number {
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

function requirementMatches(r: LabelRequirement, labels: Record<string, string> | undefined): boolean {
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
 * labels.NewRequirement: validate one requirement. `path` is the field path upstream reports ("" at the root,
 * which upstream prints without a prefix for key/values).
 */
function newRequirement(key: string, operator: LabelOperator, values: string[], path: string): LabelRequirement {
  const errs: string[] = [];
  const child = (name: string): string => (path ? `${path}.${name}` : name);
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(invalidValue(child("key"), goQuote(key), keyErrs.join("; ")));
  const valuesPath = child("values");
  switch (operator) {
    case "in":
    case "notin":
      if (values.length === 0)
        errs.push(
          invalidValue(
            valuesPath,
            goStringSlice(values.length ? values : undefined),
            "for 'in', 'notin' operators, values set can't be empty",
          ),
        );
      break;
    case "=":
    case "==":
    case "!=":
      if (values.length !== 1)
        errs.push(
          invalidValue(
            valuesPath,
            goStringSlice(values.length ? values : undefined),
            "exact-match compatibility requires one single value",
          ),
        );
      break;
    case "exists":
    case "!":
      if (values.length !== 0)
        errs.push(
          invalidValue(
            valuesPath,
            goStringSlice(values.length ? values : undefined),
            "values set must be empty for exists and does not exist",
          ),
        );
      break;
    case "gt":
    case "lt":
      if (values.length !== 1)
        errs.push(
          invalidValue(
            valuesPath,
            goStringSlice(values.length ? values : undefined),
            "for 'Gt', 'Lt' operators, exactly one value is required",
          ),
        );
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

// ---- the selector string grammar: upstream's lexer and recursive-descent parser, token for token ----

type Token = "error" | "end" | ")" | "," | "!" | "==" | "=" | ">" | "identifier" | "in" | "<" | "!=" | "notin" | "(";

const keywords = new Map<string, Token>([
  [")", ")"],
  [",", ","],
  ["!", "!"],
  ["==", "=="],
  ["=", "="],
  [">", ">"],
  ["in", "in"],
  ["<", "<"],
  ["!=", "!="],
  ["notin", "notin"],
  ["(", "("],
]);

interface Scanned {
  token: Token;
  literal: string;
}

const isWhitespace = (ch: string): boolean => ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
const isSpecialSymbol = (ch: string): boolean => "=!(),><".includes(ch) && ch !== "";

function lex(text: string): Scanned[] {
  const items: Scanned[] = [];
  let pos = 0;
  // upstream reads bytes and uses 0 as "end of input", so a NUL character ends the selector too
  const read = (): string => (pos < text.length ? text[pos++] : "\0");
  const unread = (): void => {
    pos--;
  };
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === "\0") {
      items.push({ token: "end", literal: "" });
      return items;
    }
    unread();
    if (isSpecialSymbol(ch)) {
      let buffer = "";
      let last: Scanned | undefined;
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (!isSpecialSymbol(c)) {
          unread();
          break;
        }
        buffer += c;
        const token = keywords.get(buffer);
        if (token) last = { token, literal: buffer };
        else if (last) {
          unread();
          break;
        }
      }
      items.push(last ?? { token: "error", literal: `error expected: keyword found '${buffer}'` });
    } else {
      let buffer = "";
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (isSpecialSymbol(c) || isWhitespace(c)) {
          unread();
          break;
        }
        buffer += c;
      }
      items.push({ token: keywords.get(buffer) ?? "identifier", literal: buffer });
    }
  }
}

/** In a value position, "in" and "notin" are ordinary words ("env in (in)"). */
type Context = "keyAndOperator" | "values";

class Parser {
  private position = 0;
  constructor(private readonly items: Scanned[]) {}

  private lookahead(context: Context): Scanned {
    return this.adjust(this.items[this.position], context);
  }
  private consume(context: Context): Scanned {
    return this.adjust(this.items[this.position++], context);
  }
  private adjust(item: Scanned, context: Context): Scanned {
    if (context === "values" && (item.token === "in" || item.token === "notin"))
      return { token: "identifier", literal: item.literal };
    return item;
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { token, literal } = this.lookahead("values");
      switch (token) {
        case "identifier":
        case "!": {
          try {
            requirements.push(this.parseRequirement());
          } catch (err) {
            if (err instanceof SelectorParseError)
              throw new SelectorParseError(`unable to parse requirement: ${err.message}`);
            throw err;
          }
          const next = this.consume("values");
          if (next.token === "end") return requirements;
          if (next.token === ",") {
            const after = this.lookahead("values");
            if (after.token !== "identifier" && after.token !== "!")
              throw new SelectorParseError(`found '${after.literal}', expected: identifier after ','`);
            break;
          }
          throw new SelectorParseError(`found '${next.literal}', expected: ',' or 'end of string'`);
        }
        case "end":
          return requirements;
        default:
          throw new SelectorParseError(`found '${literal}', expected: !, identifier, or 'end of string'`);
      }
    }
  }

  private parseRequirement(): LabelRequirement {
    const { key, operator } = this.parseKeyAndInferOperator();
    if (operator === "exists" || operator === "!") return newRequirement(key, operator, [], "");
    const op = this.parseOperator();
    const values = op === "in" || op === "notin" ? this.parseValues() : this.parseExactValue();
    // upstream collects values in a sets.String and lists them sorted
    return newRequirement(key, op, [...values].sort(compareStrings), "");
  }

  private parseKeyAndInferOperator(): { key: string; operator?: LabelOperator } {
    let operator: LabelOperator | undefined;
    let item = this.consume("values");
    if (item.token === "!") {
      operator = "!";
      item = this.consume("values");
    }
    if (item.token !== "identifier") throw new SelectorParseError(`found '${item.literal}', expected: identifier`);
    const keyErrs = isQualifiedName(item.literal);
    // upstream validates the key here with a nil field path, which field.Error prints as "<nil>"
    if (keyErrs.length > 0)
      throw new SelectorParseError(invalidValue("<nil>", goQuote(item.literal), keyErrs.join("; ")));
    const next = this.lookahead("values").token;
    if ((next === "end" || next === ",") && operator !== "!") operator = "exists";
    return { key: item.literal, operator };
  }

  private parseOperator(): LabelOperator {
    const { token, literal } = this.consume("keyAndOperator");
    switch (token) {
      case "in":
        return "in";
      case "=":
        return "=";
      case "==":
        return "==";
      case ">":
        return "gt";
      case "<":
        return "lt";
      case "notin":
        return "notin";
      case "!=":
        return "!=";
      default:
        throw new SelectorParseError(`found '${literal}', expected: ${binaryOperators.join(", ")}`);
    }
  }

  private parseValues(): Set<string> {
    const open = this.consume("values");
    if (open.token !== "(") throw new SelectorParseError(`found '${open.literal}' expected: '('`);
    const { token, literal } = this.lookahead("values");
    switch (token) {
      case "identifier":
      case ",": {
        const values = this.parseIdentifiersList();
        if (this.consume("values").token !== ")") throw new SelectorParseError(`found '${literal}', expected: ')'`);
        return values;
      }
      case ")":
        this.consume("values");
        return new Set([""]); // "()" is the set holding the empty value
      default:
        throw new SelectorParseError(`found '${literal}', expected: ',', ')' or identifier`);
    }
  }

  /** A comma-separated list where empty entries are the empty value: "(a,,b)", "(,a)", "(a,)". */
  private parseIdentifiersList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { token, literal } = this.consume("values");
      if (token === "identifier") {
        values.add(literal);
        const next = this.lookahead("values");
        if (next.token === ",") continue;
        if (next.token === ")") return values;
        throw new SelectorParseError(`found '${next.literal}', expected: ',' or ')'`);
      } else if (token === ",") {
        if (values.size === 0) values.add("");
        const next = this.lookahead("values").token;
        if (next === ")") {
          values.add("");
          return values;
        }
        if (next === ",") values.add("");
      } else {
        throw new SelectorParseError(`found '${literal}', expected: ',', or identifier`);
      }
    }
  }

  private parseExactValue(): Set<string> {
    const next = this.lookahead("values").token;
    if (next === "end" || next === ",") return new Set([""]); // "env=" selects the empty value
    const { token, literal } = this.consume("values");
    if (token === "identifier") return new Set([literal]);
    throw new SelectorParseError(`found '${literal}', expected: identifier`);
  }
}

/**
 * labels.Parse: "app=web,tier in (a,b),!legacy,version>2". The empty string selects everything.
 * Throws SelectorParseError worded as upstream.
 */
export function parseLabelSelector(text: string): LabelMatcher {
  return new RequirementsMatcher(new Parser(lex(text)).parse());
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
