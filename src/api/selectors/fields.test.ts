import assert from "node:assert/strict";
import { test } from "node:test";
import { convertFieldSelector } from "./fieldlabels.js";
import { SelectorParseError, escapeFieldValue, fieldMatcherFromSet, parseFieldSelector } from "./fields.js";

// Each row: selector text → requirements (in upstream's order: raw terms sorted) and upstream's String().
const parsed: { text: string; requirements: [string, string, string][]; string: string }[] = [
  { text: "", requirements: [], string: "" },
  { text: "metadata.name=my-pv", requirements: [["metadata.name", "=", "my-pv"]], string: "metadata.name=my-pv" },
  { text: "status.phase==Bound", requirements: [["status.phase", "==", "Bound"]], string: "status.phase=Bound" },
  { text: "status.phase!=Bound", requirements: [["status.phase", "!=", "Bound"]], string: "status.phase!=Bound" },
  {
    text: "status.phase=Running,spec.nodeName=node-1",
    requirements: [
      ["spec.nodeName", "=", "node-1"],
      ["status.phase", "=", "Running"],
    ],
    string: "spec.nodeName=node-1,status.phase=Running",
  },
  { text: "spec.nodeName=", requirements: [["spec.nodeName", "=", ""]], string: "spec.nodeName=" },
  { text: "a=b,", requirements: [["a", "=", "b"]], string: "a=b" },
  { text: ",,a=b", requirements: [["a", "=", "b"]], string: "a=b" },
  { text: "x=a\\,b", requirements: [["x", "=", "a,b"]], string: "x=a\\,b" },
  { text: "x=a\\=b\\\\c", requirements: [["x", "=", "a=b\\c"]], string: "x=a\\=b\\\\c" },
  { text: "x y=z", requirements: [["x y", "=", "z"]], string: "x y=z" },
  { text: "=a", requirements: [["", "=", "a"]], string: "=a" },
];
for (const c of parsed)
  test(`field selector "${c.text}" parses as upstream parses it`, () => {
    const matcher = parseFieldSelector(c.text);
    assert.deepEqual(
      matcher.requirements.map((r) => [r.field, r.operator, r.value]),
      c.requirements,
    );
    assert.equal(matcher.toString(), c.string);
    assert.equal(matcher.empty, c.requirements.length === 0);
  });

const refused: { text: string; message: string }[] = [
  { text: "foo", message: "invalid selector: 'foo'; can't understand 'foo'" },
  { text: "a=b,foo", message: "invalid selector: 'a=b,foo'; can't understand 'foo'" },
  { text: "x!=a=", message: "invalid field selector: unescaped character in value: 61" },
  { text: "x=a\\b", message: "invalid field selector: invalid escape sequence: \\b" },
  { text: "x=a\\", message: "invalid field selector: invalid escape sequence: \\" },
];
for (const c of refused)
  test(`field selector "${c.text}" is refused with upstream's message`, () =>
    assert.throws(
      () => parseFieldSelector(c.text),
      (err: unknown) => err instanceof SelectorParseError && err.message === c.message,
    ));

const matching: { text: string; fields: Record<string, string>; want: boolean }[] = [
  { text: "", fields: {}, want: true },
  { text: "metadata.name=a", fields: { "metadata.name": "a" }, want: true },
  { text: "metadata.name=a", fields: { "metadata.name": "b" }, want: false },
  { text: "spec.nodeName=", fields: {}, want: true },
  { text: "spec.nodeName!=", fields: {}, want: false },
  { text: "spec.nodeName!=", fields: { "spec.nodeName": "n1" }, want: true },
  { text: "status.phase!=Bound", fields: {}, want: true },
  {
    text: "status.phase!=Bound,metadata.namespace=default",
    fields: { "status.phase": "Pending", "metadata.namespace": "default" },
    want: true,
  },
  {
    text: "status.phase!=Bound,metadata.namespace=default",
    fields: { "status.phase": "Bound", "metadata.namespace": "default" },
    want: false,
  },
  { text: "x=a\\,b", fields: { x: "a,b" }, want: true },
  { text: "constructor=", fields: {}, want: true },
];
for (const c of matching)
  test(`field selector "${c.text}" ${c.want ? "selects" : "does not select"} ${JSON.stringify(c.fields)}`, () =>
    assert.equal(parseFieldSelector(c.text).matches(c.fields), c.want));

test("a selector pinning metadata.name says so, a != term does not", () => {
  assert.equal(parseFieldSelector("metadata.name=a,status.phase=x").requiresExactMatch("metadata.name"), "a");
  assert.equal(parseFieldSelector("metadata.name!=a").requiresExactMatch("metadata.name"), undefined);
});

test("escaping round-trips through the canonical string", () => {
  const value = "a=b,c\\d";
  const matcher = fieldMatcherFromSet({ x: value });
  assert.equal(matcher.toString(), "x=" + escapeFieldValue(value));
  assert.equal(parseFieldSelector(matcher.toString()).matches({ x: value }), true);
});

// kubectl and controllers send these; upstream's conversion functions decide which a kind accepts.
const kinds: {
  kind: [string, string, string];
  namespaced?: boolean;
  text: string;
  message?: string;
  converted?: string;
}[] = [
  {
    kind: ["snapshot.storage.k8s.io", "v1", "VolumeSnapshot"],
    namespaced: true,
    text: "metadata.namespace=default,metadata.name=snap",
    converted: "metadata.name=snap,metadata.namespace=default",
  },
  {
    kind: ["snapshot.storage.k8s.io", "v1", "VolumeSnapshotContent"],
    namespaced: false,
    text: "metadata.namespace=default",
    message: "field label not supported: metadata.namespace",
  },
  {
    kind: ["snapshot.storage.k8s.io", "v1", "VolumeSnapshot"],
    namespaced: true,
    text: "spec.source.persistentVolumeClaimName=data",
    message: "field label not supported: spec.source.persistentVolumeClaimName",
  },
  {
    kind: ["", "v1", "Pod"],
    text: "spec.nodeName=n1,status.phase=Running",
    converted: "spec.nodeName=n1,status.phase=Running",
  },
  { kind: ["", "v1", "Pod"], text: "spec.host=n1", converted: "spec.nodeName=n1" },
  { kind: ["", "v1", "Pod"], text: "spec.foo=x", message: "field label not supported: spec.foo" },
  { kind: ["", "v1", "Node"], text: "metadata.namespace=x", message: "field label not supported: metadata.namespace" },
  {
    kind: ["", "v1", "Event"],
    text: "involvedObject.kind=PersistentVolumeClaim,involvedObject.name=data",
    converted: "involvedObject.kind=PersistentVolumeClaim,involvedObject.name=data",
  },
  { kind: ["", "v1", "Event"], text: "foo=bar", message: "field label not supported: foo" },
  { kind: ["", "v1", "Namespace"], text: "status.phase=Active", converted: "status.phase=Active" },
  { kind: ["", "v1", "Secret"], text: "type=Opaque", converted: "type=Opaque" },
  { kind: ["", "v1", "PersistentVolumeClaim"], text: "metadata.name=data", converted: "metadata.name=data" },
  {
    kind: ["", "v1", "PersistentVolumeClaim"],
    text: "status.phase=Bound",
    message: '"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"',
  },
  {
    kind: ["storage.k8s.io", "v1", "VolumeAttachment"],
    text: "spec.nodeName=n1",
    message: '"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"',
  },
];
for (const c of kinds)
  test(`${c.kind[2]} ${c.message ? "refuses" : "accepts"} the field selector "${c.text}"`, () => {
    const [group, version, kind] = c.kind;
    const run = () =>
      convertFieldSelector(parseFieldSelector(c.text), { group, version, kind, namespaced: c.namespaced });
    if (c.message) assert.throws(run, { name: "SelectorParseError", message: c.message });
    else assert.equal(run().toString(), c.converted);
  });
