import assert from "node:assert/strict";
import { test } from "node:test";
import type { LabelSelector } from "../meta.js";
import {
  SelectorParseError,
  formatLabelSelector,
  labelMatcherFromSelector,
  labelMatcherFromSet,
  parseLabelSelector,
  type LabelMatcher,
} from "./labels.js";

// Each row: selector text → upstream's canonical String() (requirements sorted by key, values sorted).
const canonical: { text: string; want: string }[] = [
  { text: "", want: "" },
  { text: "x=a", want: "x=a" },
  { text: "x==a", want: "x==a" },
  { text: "x!=a", want: "x!=a" },
  { text: "y=b,x=a", want: "x=a,y=b" },
  { text: "  x = a ,  y != b  ", want: "x=a,y!=b" },
  { text: "x", want: "x" },
  { text: "!x", want: "!x" },
  { text: "x in (b,a)", want: "x in (a,b)" },
  { text: "x notin (a)", want: "x notin (a)" },
  { text: "x in (foo,,baz),y,z notin ()", want: "x in (,baz,foo),y,z notin ()" },
  { text: "x in (,a)", want: "x in (,a)" },
  { text: "x in (a,)", want: "x in (,a)" },
  { text: "x in (a,,)", want: "x in (,a)" },
  { text: "x=", want: "x=" },
  { text: "x=,z= ", want: "x=,z=" },
  { text: "env in (in)", want: "env in (in)" },
  { text: "in in (notin)", want: "in in (notin)" },
  { text: "x>1", want: "x>1" },
  { text: "x<10", want: "x<10" },
  { text: "example.com/app=web", want: "example.com/app=web" },
  { text: "app.kubernetes.io/name in (mysql,postgres)", want: "app.kubernetes.io/name in (mysql,postgres)" },
  { text: "x=a_b-c.d", want: "x=a_b-c.d" },
];
for (const c of canonical)
  test(`"${c.text}" parses to the canonical "${c.want}"`, () =>
    assert.equal(parseLabelSelector(c.text).toString(), c.want));

const longValue = "a".repeat(64);
// Each row: selector text → the exact message upstream's labels.Parse returns (kubectl prints it after "Error from server (BadRequest): ").
const invalid: { text: string; message: string }[] = [
  { text: "a b", message: "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt" },
  {
    text: "x=a||y=b",
    message:
      "unable to parse requirement: values[0][x]: Invalid value: \"a||y\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  },
  { text: "x=a,", message: "found '', expected: identifier after ','" },
  { text: ",x=a", message: "found ',', expected: !, identifier, or 'end of string'" },
  { text: "x=a=b", message: "found '=', expected: ',' or 'end of string'" },
  { text: "x in a", message: "unable to parse requirement: found 'a' expected: '('" },
  { text: "x in (a", message: "unable to parse requirement: found '', expected: ',' or ')'" },
  { text: "x in (a b)", message: "unable to parse requirement: found 'b', expected: ',' or ')'" },
  { text: "x in (=)", message: "unable to parse requirement: found '=', expected: ',', ')' or identifier" },
  { text: "x=(a)", message: "unable to parse requirement: found '(', expected: identifier" },
  { text: "!x=a", message: "found '=', expected: ',' or 'end of string'" },
  { text: "!", message: "unable to parse requirement: found '', expected: identifier" },
  { text: "=a", message: "found '=', expected: !, identifier, or 'end of string'" },
  {
    text: "x>a",
    message:
      "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer",
  },
  {
    text: `x=${longValue}`,
    message: `unable to parse requirement: values[0][x]: Invalid value: "${longValue}": must be no more than 63 characters`,
  },
  {
    text: "-x=a",
    message:
      "unable to parse requirement: <nil>: Invalid value: \"-x\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  },
  {
    text: "Example.com/x",
    message:
      "unable to parse requirement: <nil>: Invalid value: \"Example.com/x\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  { text: "/x", message: 'unable to parse requirement: <nil>: Invalid value: "/x": prefix part must be non-empty' },
  {
    text: "a/b/c",
    message:
      "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  },
  {
    text: `${"k".repeat(64)}`,
    message: `unable to parse requirement: <nil>: Invalid value: "${"k".repeat(64)}": name part must be no more than 63 characters`,
  },
];
for (const c of invalid)
  test(`"${c.text.slice(0, 40)}" is refused with upstream's message`, () =>
    assert.throws(
      () => parseLabelSelector(c.text),
      (err: unknown) => {
        assert.ok(err instanceof SelectorParseError);
        assert.equal(err.message, c.message);
        return true;
      },
    ));

// Each row: a selector, labels, and whether upstream's Matches says yes.
const matching: { selector: string; labels?: Record<string, string>; want: boolean }[] = [
  { selector: "", labels: undefined, want: true },
  { selector: "x=a", labels: { x: "a" }, want: true },
  { selector: "x=a", labels: { x: "b" }, want: false },
  { selector: "x=a", labels: {}, want: false },
  { selector: "x=a", labels: undefined, want: false },
  { selector: "x!=a", labels: {}, want: true },
  { selector: "x!=a", labels: { x: "a" }, want: false },
  { selector: "x!=a", labels: { x: "b" }, want: true },
  { selector: "x=", labels: { x: "" }, want: true },
  { selector: "x=", labels: {}, want: false },
  { selector: "x", labels: { x: "" }, want: true },
  { selector: "x", labels: { y: "a" }, want: false },
  { selector: "!x", labels: { y: "a" }, want: true },
  { selector: "!x", labels: { x: "" }, want: false },
  { selector: "x in (a,b)", labels: { x: "b" }, want: true },
  { selector: "x in (a,b)", labels: { x: "c" }, want: false },
  { selector: "x in (a,b)", labels: {}, want: false },
  { selector: "x notin (a,b)", labels: {}, want: true },
  { selector: "x notin (a,b)", labels: { x: "a" }, want: false },
  { selector: "x notin (a,b)", labels: { x: "c" }, want: true },
  { selector: "x in ()", labels: { x: "" }, want: true },
  { selector: "x=a,y=b", labels: { x: "a", y: "b", z: "c" }, want: true },
  { selector: "x=a,y=b", labels: { x: "a" }, want: false },
  { selector: "x>1", labels: { x: "2" }, want: true },
  { selector: "x>1", labels: { x: "1" }, want: false },
  { selector: "x>1", labels: { x: "two" }, want: false },
  { selector: "x<1", labels: { x: "-5" }, want: true },
  { selector: "x<10", labels: { x: "+9" }, want: true },
  { selector: "x<1", labels: {}, want: false },
  { selector: "constructor", labels: {}, want: false },
  { selector: "!toString", labels: {}, want: true },
];
for (const c of matching)
  test(`"${c.selector}" ${c.want ? "selects" : "does not select"} ${JSON.stringify(c.labels)}`, () =>
    assert.equal(parseLabelSelector(c.selector).matches(c.labels), c.want));

test("an empty selector string is empty and selects everything", () => {
  const matcher = parseLabelSelector("");
  assert.equal(matcher.empty, true);
  assert.equal(matcher.matches({ anything: "x" }), true);
  assert.equal(parseLabelSelector("x").empty, false);
});

test("requirements are exposed sorted by key with their operators", () => {
  assert.deepEqual(parseLabelSelector("z notin (b,a),!y,x=1").requirements, [
    { key: "x", operator: "=", values: ["1"] },
    { key: "y", operator: "!", values: [] },
    { key: "z", operator: "notin", values: ["a", "b"] },
  ]);
});

// A PVC's spec.selector and a StatefulSet's spec.selector go through metav1.LabelSelectorAsSelector.
const selectors: {
  name: string;
  selector: LabelSelector | undefined;
  labels: Record<string, string>;
  want: boolean;
  text?: string;
}[] = [
  { name: "an absent selector selects nothing", selector: undefined, labels: { a: "b" }, want: false, text: "" },
  { name: "an empty selector selects every volume", selector: {}, labels: {}, want: true, text: "" },
  {
    name: "empty lists also select everything",
    selector: { matchLabels: {}, matchExpressions: [] },
    labels: {},
    want: true,
  },
  {
    name: "matchLabels must all be equal",
    selector: { matchLabels: { tier: "fast", zone: "a" } },
    labels: { tier: "fast", zone: "a", x: "y" },
    want: true,
    text: "tier=fast,zone=a",
  },
  {
    name: "a missing matchLabel does not select",
    selector: { matchLabels: { tier: "fast", zone: "a" } },
    labels: { tier: "fast" },
    want: false,
  },
  {
    name: "In selects one of the values",
    selector: { matchExpressions: [{ key: "zone", operator: "In", values: ["b", "a"] }] },
    labels: { zone: "b" },
    want: true,
    text: "zone in (a,b)",
  },
  {
    name: "NotIn selects volumes without the label",
    selector: { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] },
    labels: {},
    want: true,
    text: "zone notin (a)",
  },
  {
    name: "Exists needs the label",
    selector: { matchExpressions: [{ key: "ssd", operator: "Exists" }] },
    labels: { ssd: "" },
    want: true,
    text: "ssd",
  },
  {
    name: "DoesNotExist refuses a labelled volume",
    selector: { matchExpressions: [{ key: "ssd", operator: "DoesNotExist" }] },
    labels: { ssd: "true" },
    want: false,
    text: "!ssd",
  },
  {
    name: "matchLabels and matchExpressions are ANDed and sorted by key",
    selector: {
      matchLabels: { release: "stable" },
      matchExpressions: [{ key: "environment", operator: "In", values: ["dev"] }],
    },
    labels: { release: "stable", environment: "dev" },
    want: true,
    text: "environment in (dev),release=stable",
  },
];
for (const c of selectors)
  test(c.name, () => {
    const matcher: LabelMatcher = labelMatcherFromSelector(c.selector);
    assert.equal(matcher.matches(c.labels), c.want);
    if (c.text !== undefined) assert.equal(matcher.toString(), c.text);
  });

const badSelectors: { name: string; selector: LabelSelector; message: string }[] = [
  {
    name: "In without values",
    selector: { matchExpressions: [{ key: "zone", operator: "In" }] },
    message: "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
  },
  {
    name: "NotIn with an empty list",
    selector: { matchExpressions: [{ key: "zone", operator: "NotIn", values: [] }] },
    message: "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty",
  },
  {
    name: "Exists with values",
    selector: { matchExpressions: [{ key: "zone", operator: "Exists", values: ["a", "b"] }] },
    message: 'values: Invalid value: []string{"a", "b"}: values set must be empty for exists and does not exist',
  },
  {
    name: "an unknown operator",
    selector: { matchExpressions: [{ key: "zone", operator: "Gt" as "In", values: ["1"] }] },
    message: '"Gt" is not a valid label selector operator',
  },
  {
    name: "a bad key and a bad value together",
    selector: { matchLabels: { "bad key": "bad value" } },
    message:
      "[key: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), " +
      "values[0][bad key]: Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')]",
  },
];
for (const c of badSelectors)
  test(`a label selector with ${c.name} is refused with upstream's message`, () =>
    assert.throws(() => labelMatcherFromSelector(c.selector), { name: "SelectorParseError", message: c.message }));

test("a label set selects objects carrying all of its labels", () => {
  assert.equal(labelMatcherFromSet({ app: "mysql" }).matches({ app: "mysql", x: "y" }), true);
  assert.equal(labelMatcherFromSet({ app: "mysql" }).matches({ app: "nginx" }), false);
  assert.equal(labelMatcherFromSet({}).empty, true);
});

// More of upstream's grammar, as kubectl users type it.
const moreCanonical: { text: string; want: string }[] = [
  { text: "x in(a)", want: "x in (a)" },
  { text: "x notin(b,a)", want: "x notin (a,b)" },
  { text: "!x,y", want: "!x,y" },
  { text: "x,!x", want: "x,!x" },
  { text: "x in (a),x notin (b)", want: "x in (a),x notin (b)" },
  { text: "\tx\t=\ta\n", want: "x=a" },
  { text: "x in ( a , b )", want: "x in (a,b)" },
  { text: "x!=", want: "x!=" },
  { text: "a.b/c-d_e=f", want: "a.b/c-d_e=f" },
];
for (const c of moreCanonical)
  test(`"${JSON.stringify(c.text)}" parses to "${c.want}"`, () =>
    assert.equal(parseLabelSelector(c.text).toString(), c.want));

const moreInvalid: { text: string; message: string }[] = [
  { text: "a=b c", message: "found 'c', expected: ',' or 'end of string'" },
  { text: "x in (a),", message: "found '', expected: identifier after ','" },
  { text: "x notin", message: "unable to parse requirement: found '' expected: '('" },
  {
    // upstream counts bytes: 32 two-byte letters are 64 bytes, over the 63 limit though only 32 characters
    text: `x=${"é".repeat(32)}`,
    message: `unable to parse requirement: values[0][x]: Invalid value: "${"é".repeat(32)}": must be no more than 63 characters; a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
  },
];
for (const c of moreInvalid)
  test(`${JSON.stringify(c.text.slice(0, 30))} is refused with upstream's message`, () =>
    assert.throws(() => parseLabelSelector(c.text), { name: "SelectorParseError", message: c.message }));

test('"x==" selects the empty value, like "x="', () => {
  assert.equal(parseLabelSelector("x==").matches({ x: "" }), true);
  assert.equal(parseLabelSelector("x==").toString(), "x==");
});

test("a label selector decoded from JSON without a key is refused, not crashed on", () =>
  assert.throws(() => labelMatcherFromSelector({ matchExpressions: [{ operator: "Exists" } as never] }), {
    name: "SelectorParseError",
    message: /^key: Invalid value: "": name part must be non-empty/,
  }));

const formatted: { selector: LabelSelector | undefined; want: string }[] = [
  { selector: undefined, want: "<none>" },
  { selector: {}, want: "<none>" },
  { selector: { matchLabels: { app: "mysql" } }, want: "app=mysql" },
  {
    selector: {
      matchLabels: { app: "mysql" },
      matchExpressions: [{ key: "tier", operator: "NotIn", values: ["b", "a"] }],
    },
    want: "app=mysql,tier notin (a,b)",
  },
  { selector: { matchExpressions: [{ key: "tier", operator: "In" }] }, want: "<error>" },
];
for (const c of formatted)
  test(`a selector prints as ${c.want} in tables`, () => assert.equal(formatLabelSelector(c.selector), c.want));
