import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPatch, PatchError } from "./index.js";

// `kubectl patch --type json -p '[…]'` against this claim. Every row is checked against evanphx/json-patch v4.12,
// the library upstream's apiserver applies JSON Patch with: the result, or the exact error text it returns.
interface Claim {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; finalizers: string[] };
  spec: {
    accessModes: string[];
    resources: { requests: { storage: string } };
    storageClassName: string;
    volumeName?: string;
  };
}
const claim = (): Claim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data", namespace: "default", labels: { app: "db" }, finalizers: ["kubernetes.io/pvc-protection"] },
  spec: {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: "1Gi" } },
    storageClassName: "fast",
  },
});
const kind = { group: "", version: "v1", kind: "PersistentVolumeClaim" };

type Row = { name: string; patch: unknown; want?: (c: Claim) => unknown; error?: string };

const rows: Row[] = [
  {
    name: "replace grows the storage request",
    patch: [{ op: "replace", path: "/spec/resources/requests/storage", value: "5Gi" }],
    want: (c) => ((c.spec.resources.requests.storage = "5Gi"), c),
  },
  {
    name: "add creates a member",
    patch: [{ op: "add", path: "/metadata/labels/tier", value: "gold" }],
    want: (c) => ((c.metadata.labels = { app: "db", tier: "gold" }), c),
  },
  {
    name: "add with '-' appends to a list",
    patch: [{ op: "add", path: "/metadata/finalizers/-", value: "example.com/hold" }],
    want: (c) => (c.metadata.finalizers.push("example.com/hold"), c),
  },
  {
    name: "add at an index inserts before it",
    patch: [{ op: "add", path: "/spec/accessModes/0", value: "ReadOnlyMany" }],
    want: (c) => ((c.spec.accessModes = ["ReadOnlyMany", "ReadWriteOnce"]), c),
  },
  {
    name: "add at the list's length appends",
    patch: [{ op: "add", path: "/spec/accessModes/1", value: "ReadOnlyMany" }],
    want: (c) => ((c.spec.accessModes = ["ReadWriteOnce", "ReadOnlyMany"]), c),
  },
  {
    name: "a negative index counts from the end (a v4 extension)",
    patch: [{ op: "remove", path: "/metadata/finalizers/-1" }],
    want: (c) => ((c.metadata.finalizers = []), c),
  },
  {
    name: "remove deletes a member",
    patch: [{ op: "remove", path: "/metadata/labels/app" }],
    want: (c) => ((c.metadata.labels = {}), c),
  },
  {
    name: "replace of a missing object member adds it (a v4 quirk clients rely on)",
    patch: [{ op: "replace", path: "/spec/volumeName", value: "pv-1" }],
    want: (c) => ((c.spec.volumeName = "pv-1"), c),
  },
  {
    name: "move renames a label",
    patch: [{ op: "move", from: "/metadata/labels/app", path: "/metadata/labels/application" }],
    want: (c) => ((c.metadata.labels = { application: "db" }), c),
  },
  {
    name: "copy duplicates a value",
    patch: [{ op: "copy", from: "/metadata/labels/app", path: "/metadata/labels/copy" }],
    want: (c) => ((c.metadata.labels = { app: "db", copy: "db" }), c),
  },
  {
    name: "a passing test lets the following operations apply",
    patch: [
      { op: "test", path: "/spec/resources/requests/storage", value: "1Gi" },
      { op: "replace", path: "/spec/resources/requests/storage", value: "2Gi" },
    ],
    want: (c) => ((c.spec.resources.requests.storage = "2Gi"), c),
  },
  {
    name: "a test compares objects by content, not member order",
    patch: [{ op: "test", path: "/spec/resources", value: { requests: { storage: "1Gi" } } }],
    want: (c) => c,
  },
  {
    name: "a test of a missing member against null passes",
    patch: [{ op: "test", path: "/spec/volumeName", value: null }],
    want: (c) => c,
  },
  {
    name: "keys with '/' and '~' are escaped as ~1 and ~0",
    patch: [{ op: "add", path: "/metadata/labels/example.com~1a~0b", value: "x" }],
    want: (c) => ((c.metadata.labels = { app: "db", "example.com/a~b": "x" }), c),
  },
  { name: "an empty patch changes nothing", patch: [], want: (c) => c },
  { name: "a null patch changes nothing", patch: null, want: (c) => c },
  // failures: 422, with evanphx's text kept as the detail
  {
    name: "a failing test stops the patch",
    patch: [
      { op: "test", path: "/spec/resources/requests/storage", value: "2Gi" },
      { op: "replace", path: "/spec/resources/requests/storage", value: "5Gi" },
    ],
    error: "testing value /spec/resources/requests/storage failed: test failed",
  },
  {
    name: "a test of a missing path",
    patch: [{ op: "test", path: "/status/phase", value: "Bound" }],
    error: "test operation does not apply: is missing path: /status/phase: missing value",
  },
  {
    name: "remove of a missing member",
    patch: [{ op: "remove", path: "/metadata/labels/missing" }],
    error:
      "error in remove for path: '/metadata/labels/missing': Unable to remove nonexistent key: missing: missing value",
  },
  {
    name: "remove below a missing member",
    patch: [{ op: "remove", path: "/metadata/annotations/x" }],
    error: 'remove operation does not apply: doc is missing path: "/metadata/annotations/x": missing value',
  },
  {
    name: "add below a missing member",
    patch: [{ op: "add", path: "/status/conditions/0", value: {} }],
    error: 'add operation does not apply: doc is missing path: "/status/conditions/0": missing value',
  },
  {
    name: "add past the end of a list",
    patch: [{ op: "add", path: "/spec/accessModes/5", value: "ReadOnlyMany" }],
    error: "error in add for path: '/spec/accessModes/5': Unable to access invalid index: 5: invalid index referenced",
  },
  {
    name: "add at a list index that is not a number",
    patch: [{ op: "add", path: "/spec/accessModes/x", value: "ReadOnlyMany" }],
    error:
      "error in add for path: '/spec/accessModes/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
  },
  {
    name: "replace past the end of a list",
    patch: [{ op: "replace", path: "/spec/accessModes/3", value: "ReadOnlyMany" }],
    error: "replace operation does not apply: doc is missing key: /spec/accessModes/3: missing value",
  },
  {
    name: "move from a missing parent",
    patch: [{ op: "move", from: "/status/x", path: "/spec/x" }],
    error: "move operation does not apply: doc is missing from path: /status/x: missing value",
  },
  {
    name: "move of a missing member names its last segment",
    patch: [{ op: "move", from: "/metadata/labels/nope", path: "/metadata/labels/x" }],
    error: "error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value",
  },
  {
    name: "copy into a missing parent",
    patch: [{ op: "copy", from: "/metadata/name", path: "/status/name" }],
    error: "copy operation does not apply: doc is missing destination path: /status/name: missing value",
  },
  {
    name: "an unknown operation",
    patch: [{ op: "increment", path: "/spec/x" }],
    error: "Unexpected kind: increment",
  },
  { name: "an operation without op", patch: [{ path: "/spec/x" }], error: "Unexpected kind: unknown" },
  {
    name: "an add without a path",
    patch: [{ op: "add", value: 1 }],
    error: "add operation failed to decode path: missing value",
  },
  {
    name: "a replace without a path",
    patch: [{ op: "replace", value: 1 }],
    error: "replace operation failed to decode path: operation missing path field: missing value",
  },
  {
    name: "a test with a path that is not a string",
    patch: [{ op: "test", path: 5, value: 1 }],
    error: "test operation failed to decode path: json: cannot unmarshal number into Go value of type string",
  },
  {
    name: "a move without from",
    patch: [{ op: "move", path: "/x" }],
    error: "move operation failed to decode from: operation, missing from field: missing value",
  },
  {
    name: "a path that does not start with '/'",
    patch: [{ op: "add", path: "metadata", value: {} }],
    error: 'add operation does not apply: doc is missing path: "metadata": missing value',
  },
];

for (const row of rows)
  test(`JSON Patch: ${row.name}`, () => {
    const original = claim();
    const run = () => applyPatch("json", original, row.patch, kind);
    if (row.want) assert.deepEqual(run(), row.want(claim()));
    else
      assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof PatchError);
        assert.equal(err.code, 422);
        assert.equal(err.reason, "Invalid");
        assert.equal(err.message, "the server rejected our request due to an error in our request");
        assert.equal(err.detail, row.error);
        return true;
      });
    assert.deepEqual(original, claim(), "the stored object is never modified");
  });

const malformed: { name: string; patch: unknown; code: number; message: string }[] = [
  {
    name: "an object instead of a list",
    patch: { op: "add" },
    code: 400,
    message: "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
  },
  {
    name: "a string operation",
    patch: ["add"],
    code: 400,
    message: "json: cannot unmarshal string into Go value of type jsonpatch.Operation",
  },
  {
    name: "more than 10000 operations",
    patch: Array.from({ length: 10001 }, () => ({ op: "test", path: "/kind", value: "PersistentVolumeClaim" })),
    code: 413,
    message: "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
  },
  {
    name: "a replacement of the whole object by a list",
    patch: [{ op: "replace", path: "", value: [1] }],
    code: 422,
    message: 'patch: Invalid value: "[1]": json: cannot unmarshal array into Go value of type map[string]interface {}',
  },
];
for (const row of malformed)
  test(`JSON Patch: ${row.name} is refused with ${row.code}`, () =>
    assert.throws(
      () => applyPatch("json", claim(), row.patch, kind),
      (err: unknown) => err instanceof PatchError && err.code === row.code && err.message === row.message,
    ));

test("JSON Patch: exactly 10000 operations are accepted", () => {
  const patch = Array.from({ length: 10000 }, () => ({ op: "test", path: "/kind", value: "PersistentVolumeClaim" }));
  assert.deepEqual(applyPatch("json", claim(), patch, kind), claim());
});

test("JSON Patch: replacing the whole document with an object takes it", () => {
  const replacement = { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "other" } };
  assert.deepEqual(applyPatch("json", claim(), [{ op: "replace", path: "", value: replacement }], kind), replacement);
});

test("JSON Patch: a value added by the patch is not shared with the caller's patch", () => {
  const value = { tier: "gold" };
  const result = applyPatch("json", claim(), [{ op: "add", path: "/metadata/labels", value }], kind) as ReturnType<
    typeof claim
  >;
  (result.metadata.labels as Record<string, string>).tier = "silver";
  assert.equal(value.tier, "gold");
});
