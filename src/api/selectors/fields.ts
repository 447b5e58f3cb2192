// Field selectors as apimachinery's pkg/fields (selector.go) defines them: comma-separated `field=value`,
// `field==value` and `field!=value` terms, with `\`, `,` and `=` escaped by a backslash inside values.
// A missing field reads as "" (upstream's Fields.Get), so `spec.nodeName=` selects unscheduled pods.
import { SelectorParseError } from "./errors.js";

export { SelectorParseError };

/** upstream's selection.Equals, DoubleEquals and NotEquals. */
export type FieldOperator = "=" | "==" | "!=";

export interface FieldRequirement {
  readonly field: string;
  readonly operator: FieldOperator;
  /** Unescaped. */
  readonly value: string;
}

export interface FieldMatcher {
  /** In upstream's order: the terms sorted by their text. The apiserver checks each field is supported. */
  readonly requirements: readonly FieldRequirement[];
  /** True when nothing is restricted (matches every object). */
  readonly empty: boolean;
  matches(fields: Record<string, string>): boolean;
  /** The value a `field=value` term pins, if any: lets a caller narrow a list (e.g. by metadata.name). */
  requiresExactMatch(field: string): string | undefined;
  /** upstream's String(): "metadata.name=a,status.phase!=Bound", values escaped. */
  toString(): string;
}

/** fields.EscapeValue */
export function escapeFieldValue(value: string): string {
  return value.replace(/[\\,=]/g, (ch) => "\\" + ch);
}

/** fields.UnescapeValue, with upstream's error texts (an unescaped character is printed as its code point). */
function unescapeValue(text: string): string {
  if (!/[\\,=]/.test(text)) return text;
  let out = "";
  let inSlash = false;
  for (const ch of text) {
    if (inSlash) {
      if (ch !== "\\" && ch !== "," && ch !== "=")
        throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${ch}`);
      out += ch;
      inSlash = false;
    } else if (ch === "\\") inSlash = true;
    else if (ch === "," || ch === "=")
      // upstream formats the rune with %v, which prints its number
      throw new SelectorParseError(`invalid field selector: unescaped character in value: ${ch.codePointAt(0)}`);
    else out += ch;
  }
  if (inSlash) throw new SelectorParseError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/** splitTerms: split on commas not preceded by a backslash. */
function splitTerms(text: string): string[] {
  if (text.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inSlash) inSlash = false;
    else if (ch === "\\") inSlash = true;
    else if (ch === ",") {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

const termOperators: FieldOperator[] = ["!=", "==", "="];

/** splitTerm: the first position where "!=", "==" or "=" starts divides field from value. */
function splitTerm(term: string): FieldRequirement | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of termOperators) {
      if (term.startsWith(operator, i))
        return { field: term.slice(0, i), operator, value: term.slice(i + operator.length) };
    }
  }
  return undefined;
}

function requirementMatches(r: FieldRequirement, fields: Record<string, string>): boolean {
  const value = Object.hasOwn(fields, r.field) ? fields[r.field] : "";
  return r.operator === "!=" ? value !== r.value : value === r.value;
}

class RequirementsMatcher implements FieldMatcher {
  constructor(readonly requirements: readonly FieldRequirement[]) {}
  get empty(): boolean {
    return this.requirements.length === 0;
  }
  matches(fields: Record<string, string>): boolean {
    return this.requirements.every((r) => requirementMatches(r, fields));
  }
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator !== "!=")?.value;
  }
  toString(): string {
    // hasTerm prints "=" whether it was parsed from "=" or "=="
    return this.requirements
      .map((r) => `${r.field}${r.operator === "!=" ? "!=" : "="}${escapeFieldValue(r.value)}`)
      .join(",");
  }
}

/**
 * fields.ParseSelector: "metadata.name=my-pv,status.phase!=Bound". The empty string selects everything.
 * Throws SelectorParseError worded as upstream ("invalid selector: 'x'; can't understand 'x'").
 */
export function parseFieldSelector(text: string): FieldMatcher {
  // upstream sorts the raw terms (before unescaping) so that equal selectors compare equal
  const terms = splitTerms(text).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const requirements: FieldRequirement[] = [];
  for (const term of terms) {
    if (term === "") continue;
    const split = splitTerm(term);
    if (!split) throw new SelectorParseError(`invalid selector: '${text}'; can't understand '${term}'`);
    requirements.push({ ...split, value: unescapeValue(split.value) });
  }
  return new RequirementsMatcher(requirements);
}

/** fields.SelectorFromSet: every field must equal the given value. */
export function fieldMatcherFromSet(set: Record<string, string>): FieldMatcher {
  return new RequirementsMatcher(
    Object.entries(set)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([field, value]) => ({ field, operator: "=" as const, value })),
  );
}

/**
 * Selector.Transform: rename or refuse each requirement's field (upstream's field label conversion). A term the
 * function maps to an empty field and value is dropped, as upstream drops it.
 */
export function transformFieldSelector(
  matcher: FieldMatcher,
  fn: (field: string, value: string) => { field: string; value: string },
): FieldMatcher {
  const requirements: FieldRequirement[] = [];
  for (const r of matcher.requirements) {
    const { field, value } = fn(r.field, r.value);
    if (field === "" && value === "") continue;
    requirements.push({ field, operator: r.operator, value });
  }
  return new RequirementsMatcher(requirements);
}
