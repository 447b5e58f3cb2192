import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPatch, PatchError } from "./index.js";

// `kubectl patch --type merge -p '…'` (RFC 7386, as upstream applies it with evanphx/json-patch v4 MergePatch).
const volume = () => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: "pv-1", labels: { tier: "fast" }, finalizers: ["kubernetes.io/pv-protection"] },
  spec: {
    capacity: { storage: "10Gi" },
    accessModes: ["ReadWriteOnce", "ReadOnlyMany"],
    persistentVolumeReclaimPolicy: "Retain",
    hostPath: { path: "/data/pv-1" },
  },
});
const kind = { group: "", version: "v1", kind: "PersistentVolume" };

const rows: { name: string; patch: unknown; want: unknown }[] = [
  {
    name: "a member is replaced and the rest kept",
    patch: { spec: { persistentVolumeReclaimPolicy: "Delete" } },
    want: { ...volume(), spec: { ...volume().spec, persistentVolumeReclaimPolicy: "Delete" } },
  },
  {
    name: "null deletes a member",
    patch: { metadata: { labels: { tier: null } } },
    want: { ...volume(), metadata: { ...volume().metadata, labels: {} } },
  },
  {
    name: "a list is replaced whole, never merged",
    patch: { spec: { accessModes: ["ReadWriteMany"] } },
    want: { ...volume(), spec: { ...volume().spec, accessModes: ["ReadWriteMany"] } },
  },
  {
    name: "an empty list empties the finalizers",
    patch: { metadata: { finalizers: [] } },
    want: { ...volume(), metadata: { ...volume().metadata, finalizers: [] } },
  },
  {
    name: "null removes the finalizers",
    patch: { metadata: { finalizers: null } },
    want: { ...volume(), metadata: { name: "pv-1", labels: { tier: "fast" } } },
  },
  {
    name: "nulls inside a new object are dropped, not stored",
    patch: { spec: { claimRef: { name: "data", namespace: null } } },
    want: { ...volume(), spec: { ...volume().spec, claimRef: { name: "data" } } },
  },
  {
    name: "an object replaces a scalar, and its nulls are dropped",
    patch: { spec: { persistentVolumeReclaimPolicy: { a: 1, b: null } } },
    want: { ...volume(), spec: { ...volume().spec, persistentVolumeReclaimPolicy: { a: 1 } } },
  },
  {
    name: "deleting a member that is not there changes nothing",
    patch: { spec: { nfs: null } },
    want: volume(),
  },
  {
    name: "an empty patch changes nothing",
    patch: {},
    want: volume(),
  },
  {
    name: "nested objects merge at every level",
    patch: { spec: { capacity: { storage: "20Gi" }, hostPath: { type: "DirectoryOrCreate" } } },
    want: {
      ...volume(),
      spec: {
        ...volume().spec,
        capacity: { storage: "20Gi" },
        hostPath: { path: "/data/pv-1", type: "DirectoryOrCreate" },
      },
    },
  },
];
for (const row of rows)
  test(`merge patch: ${row.name}`, () => {
    const original = volume();
    assert.deepEqual(applyPatch("merge", original, row.patch, kind), row.want);
    assert.deepEqual(original, volume(), "the stored object is never modified");
  });

const refused: { name: string; patch: unknown; code: number; message: string }[] = [
  { name: "null", patch: null, code: 400, message: "Invalid JSON Patch" },
  { name: "a string", patch: "spec", code: 400, message: "Invalid JSON Patch" },
  { name: "a number", patch: 5, code: 400, message: "Invalid JSON Patch" },
  {
    name: "a list",
    patch: [{ spec: {} }],
    code: 422,
    message:
      'patch: Invalid value: "[{\\"spec\\":{}}]": json: cannot unmarshal array into Go value of type map[string]interface {}',
  },
];
for (const row of refused)
  test(`merge patch: ${row.name} is refused with ${row.code}`, () =>
    assert.throws(
      () => applyPatch("merge", volume(), row.patch, kind),
      (err: unknown) => err instanceof PatchError && err.code === row.code && err.message === row.message,
    ));

test("merge patch: a custom resource (VolumeSnapshot) is patched like any object", () => {
  const snapshot = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "snap", namespace: "default" },
    spec: { source: { persistentVolumeClaimName: "data" }, volumeSnapshotClassName: "csi" },
  };
  const result = applyPatch(
    "merge",
    snapshot,
    { spec: { volumeSnapshotClassName: "other" } },
    {
      group: "snapshot.storage.k8s.io",
      version: "v1",
      kind: "VolumeSnapshot",
    },
  );
  assert.deepEqual(result, { ...snapshot, spec: { ...snapshot.spec, volumeSnapshotClassName: "other" } });
});

test('merge patch: a "__proto__" key is data, not a prototype', () => {
  const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: {} };
  const patch = JSON.parse('{"data":{"__proto__":"x"}}');
  const result = applyPatch("merge", configMap, patch, { group: "", version: "v1", kind: "ConfigMap" }) as {
    data: Record<string, string>;
  };
  assert.equal(Object.getPrototypeOf(result.data), Object.prototype);
  assert.equal(JSON.stringify(result.data), '{"__proto__":"x"}');
});

// RFC 7386's own examples (Appendix A) whose target is an object, as upstream's library answers them.
const rfcExamples: { original: object; patch: unknown; want: unknown }[] = [
  { original: { a: "b" }, patch: { a: "c" }, want: { a: "c" } },
  { original: { a: "b" }, patch: { b: "c" }, want: { a: "b", b: "c" } },
  { original: { a: "b" }, patch: { a: null }, want: {} },
  { original: { a: "b", b: "c" }, patch: { a: null }, want: { b: "c" } },
  { original: { a: ["b"] }, patch: { a: "c" }, want: { a: "c" } },
  { original: { a: "c" }, patch: { a: ["b"] }, want: { a: ["b"] } },
  { original: { a: { b: "c" } }, patch: { a: { b: "d", c: null } }, want: { a: { b: "d" } } },
  { original: { a: [{ b: "c" }] }, patch: { a: [1] }, want: { a: [1] } },
  { original: { e: null }, patch: { a: 1 }, want: { e: null, a: 1 } },
  { original: {}, patch: { a: { bb: { ccc: null } } }, want: { a: { bb: {} } } },
];
for (const [i, row] of rfcExamples.entries())
  test(`merge patch: RFC 7386 example ${i + 1}: ${JSON.stringify(row.patch)}`, () =>
    assert.deepEqual(applyPatch("merge", row.original, row.patch, kind), row.want));
