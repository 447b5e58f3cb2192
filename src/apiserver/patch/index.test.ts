import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPatch, PatchError, supportsStrategicMergePatch, unsupportedMediaType } from "./index.js";
import { customResourceGroups, patchKinds, patchStructs } from "./mergekeys.js";

const podKind = { group: "", version: "v1", kind: "Pod" };
const pod = () => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", finalizers: ["a"] },
  spec: { containers: [{ name: "app", image: "nginx", env: [{ name: "A", value: "1" }] }] },
});

// How a bad strategic merge patch is answered: upstream's text, and its code (400 or 422; the ones upstream lets
// through as 500 are bad input, so 422 here).
const refused: { name: string; patch: unknown; code: number; message: string; detail?: string; original?: object }[] = [
  {
    name: "a list element without its merge key",
    patch: { spec: { containers: [{ image: "x" }] } },
    code: 422,
    message: "map: map[image:x] does not contain declared merge key: name",
  },
  {
    name: "a $patch: delete without the merge key",
    patch: { spec: { containers: [{ $patch: "delete" }] } },
    code: 422,
    message: "map: map[$patch:delete] does not contain declared merge key: name",
  },
  {
    name: "$patch: merge in a list",
    patch: { spec: { containers: [{ $patch: "merge" }] } },
    code: 422,
    message: "merging lists cannot yet be specified in the patch",
  },
  {
    name: "an unknown $patch directive in a map",
    patch: { spec: { $patch: "keep" } },
    code: 422,
    message: "unknown patch type: keep in map: map[$patch:keep]",
  },
  {
    name: "$patch: merge in a map (upstream accepts only replace and delete there)",
    patch: { metadata: { $patch: "merge", labels: { a: "b" } } },
    code: 422,
    message: "unknown patch type: merge in map: map[$patch:merge labels:map[a:b]]",
  },
  {
    name: "$retainKeys that is not a list",
    patch: { spec: { $retainKeys: "containers" } },
    code: 400,
    message: "invalid patch format of retainKeys",
  },
  {
    name: "a field missing from $retainKeys",
    patch: { spec: { $retainKeys: ["containers"], nodeName: "n1" } },
    code: 400,
    message: "invalid patch format of retainKeys",
  },
  {
    name: "$setElementOrder without a field",
    patch: { spec: { $setElementOrder: [] } },
    code: 400,
    message: "invalid patch format of setElementOrder list",
  },
  {
    name: "$deleteFromPrimitiveList without a field",
    patch: { metadata: { $deleteFromPrimitiveList: ["a"] } },
    code: 400,
    message: "invalid patch format of primitive list",
  },
  {
    name: "$setElementOrder that is not a list",
    patch: { spec: { "$setElementOrder/containers": "app" } },
    code: 422,
    message: "expected a []interface {}, but received a string",
  },
  {
    name: "a $setElementOrder list that contradicts the patch's order",
    patch: {
      spec: {
        "$setElementOrder/containers": [{ name: "app" }],
        containers: [{ name: "other", image: "x" }],
      },
    },
    code: 422,
    message:
      "The order in patch list:\n[map[image:x name:other]]\n doesn't match $setElementOrder list:\n[map[name:app]]\n",
  },
  {
    name: "a list of lists in a merging list",
    original: { metadata: { name: "web", finalizers: [] } },
    patch: { metadata: { finalizers: [["a"]] } },
    code: 422,
    message: "the server rejected our request due to an error in our request",
    detail: "lists of lists are not supported",
  },
  {
    name: "mixed element types in a merging list",
    patch: { metadata: { finalizers: [1] } },
    code: 422,
    message: "list element types are not identical: [[a] [1]]",
  },
  {
    name: "a list instead of an object",
    patch: [{ spec: {} }],
    code: 400,
    message: "json: cannot unmarshal array into Go value of type map[string]interface {}",
  },
  {
    name: "a string instead of an object",
    patch: "spec",
    code: 400,
    message: "json: cannot unmarshal string into Go value of type map[string]interface {}",
  },
];
for (const row of refused)
  test(`strategic merge patch: ${row.name} is refused with ${row.code}`, () => {
    assert.throws(
      () => applyPatch("strategic", row.original ?? pod(), row.patch, podKind),
      (err: unknown) => {
        assert.ok(err instanceof PatchError);
        assert.equal(err.code, row.code);
        assert.equal(err.reason, row.code === 400 ? "BadRequest" : "Invalid");
        assert.equal(err.message, row.message);
        if (row.detail) assert.equal(err.detail, row.detail);
        return true;
      },
    );
  });

test("strategic merge patch: a null patch changes nothing", () =>
  assert.deepEqual(applyPatch("strategic", pod(), null, podKind), pod()));

test("strategic merge patch on a VolumeSnapshot is refused with 415, as upstream refuses it for custom resources", () => {
  const snapshotKind = { group: "snapshot.storage.k8s.io", version: "v1", kind: "VolumeSnapshot" };
  assert.equal(supportsStrategicMergePatch(snapshotKind), false);
  assert.throws(
    () => applyPatch("strategic", { metadata: { name: "s" } }, { spec: {} }, snapshotKind),
    (err: unknown) =>
      err instanceof PatchError &&
      err.code === 415 &&
      err.reason === "UnsupportedMediaType" &&
      err.message ===
        "the body of the request was in an unknown format - accepted media types include: " +
          "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
  );
  assert.equal(unsupportedMediaType(["a", "b"]).message.endsWith("include: a, b"), true);
});

test("JSON Patch and merge patch work on every kind, custom resources included", () => {
  const content = { metadata: { name: "c" }, spec: { a: 1 } };
  const kind = { group: "snapshot.storage.k8s.io", version: "v1", kind: "VolumeSnapshotContent" };
  assert.deepEqual(applyPatch("json", content, [{ op: "replace", path: "/spec/a", value: 2 }], kind), {
    metadata: { name: "c" },
    spec: { a: 2 },
  });
  assert.deepEqual(applyPatch("merge", content, { spec: { b: 3 } }, kind), {
    metadata: { name: "c" },
    spec: { a: 1, b: 3 },
  });
});

test("a kind not in the table still gets metadata's merge rules", () => {
  const result = applyPatch(
    "strategic",
    { metadata: { name: "x", finalizers: ["a"] }, items: [1, 2] },
    { metadata: { finalizers: ["b"] }, items: [3] },
    { group: "example.com", version: "v1", kind: "Unknown" },
  );
  assert.deepEqual(result, { metadata: { name: "x", finalizers: ["b", "a"] }, items: [3] });
});

test("the patch passed in is not modified", () => {
  const patch = {
    spec: {
      "$setElementOrder/containers": [{ name: "app" }],
      containers: [{ name: "app", image: "x", env: [{ $patch: "delete", name: "A" }] }],
    },
  };
  const copy = JSON.parse(JSON.stringify(patch));
  applyPatch("strategic", pod(), patch, podKind);
  assert.deepEqual(patch, copy);
});

test("every struct the kind table names exists, and every field type resolves", () => {
  for (const [kind, struct] of Object.entries(patchKinds)) assert.ok(patchStructs[struct], `${kind} → ${struct}`);
  for (const [name, struct] of Object.entries(patchStructs))
    for (const [field, meta] of Object.entries(struct)) {
      if (meta.type) assert.ok(patchStructs[meta.type], `${name}.${field} → ${meta.type}`);
      if (meta.patchMergeKey) assert.match(meta.patchStrategy ?? "", /merge/, `${name}.${field}`);
    }
  for (const group of customResourceGroups)
    assert.ok(!Object.keys(patchKinds).some((k) => k.startsWith(group + "/")), group);
});
