import assert from "node:assert/strict";
import { test } from "node:test";
import type { KubeObject } from "../../api/meta.js";
import { pods } from "../../api/core/pod.js";
import type { ResourceDefinition } from "../../api/resource.js";
import { FieldSet, pathString } from "./fieldpath.js";
import { compare, merge, removeFields, toFieldSet } from "./fieldsets.js";
import { applyConfig, trackUpdate } from "./managedfields.js";
import { kindType } from "./typed.js";

const podDef = pods as unknown as ResourceDefinition;
const podType = kindType(podDef);
const now = new Date("2026-01-02T03:04:05.678Z");

const pod = (spec: Record<string, unknown>, labels?: Record<string, string>): KubeObject =>
  ({ apiVersion: "v1", kind: "Pod", metadata: { name: "app", namespace: "default", labels }, spec }) as KubeObject;

test("fieldsV1 round-trips, with '.' where a path is itself a member", () => {
  const fields = { "f:data": { ".": {}, "f:color": {} }, "f:metadata": { "f:labels": { "f:team": {} } } };
  assert.deepEqual(FieldSet.fromFieldsV1(fields).toFieldsV1(), fields);
});

test("paths print as upstream prints them in conflicts", () => {
  assert.equal(
    pathString(["f:spec", "f:containers", 'k:{"name":"app"}', "f:image"]),
    '.spec.containers[name="app"].image',
  );
  assert.equal(
    pathString(["f:spec", "f:ports", 'k:{"containerPort":80,"protocol":"TCP"}']),
    '.spec.ports[containerPort=80,protocol="TCP"]',
  );
  assert.equal(pathString(["f:metadata", "f:finalizers", 'v:"a"']), '.metadata.finalizers[="a"]');
});

test("a pod's containers and volumes are lists keyed by name, as upstream's schema says", () => {
  const set = toFieldSet(
    { spec: { containers: [{ name: "app", image: "busybox" }], volumes: [{ name: "data", emptyDir: {} }] } },
    podType,
  );
  assert.deepEqual(set.toFieldsV1(), {
    "f:spec": {
      "f:containers": { 'k:{"name":"app"}': { ".": {}, "f:image": {}, "f:name": {} } },
      "f:volumes": { 'k:{"name":"data"}': { ".": {}, "f:emptyDir": {}, "f:name": {} } },
    },
  });
});

test("merge matches keyed items, and removal keeps what another manager owns", () => {
  const live = {
    spec: {
      containers: [
        { name: "a", image: "one" },
        { name: "b", image: "two" },
      ],
    },
  };
  const merged = merge(live, { spec: { containers: [{ name: "b", image: "three" }, { name: "c" }] } }, podType);
  assert.deepEqual(merged, {
    spec: { containers: [{ name: "a", image: "one" }, { name: "b", image: "three" }, { name: "c" }] },
  });
  const remove = FieldSet.fromFieldsV1({
    "f:spec": { "f:containers": { 'k:{"name":"a"}': { ".": {}, "f:image": {} } } },
  });
  const keep = FieldSet.fromFieldsV1({ "f:spec": { "f:containers": { 'k:{"name":"b"}': { "f:image": {} } } } });
  assert.deepEqual(removeFields(merged, remove, keep, podType), {
    spec: { containers: [{ name: "b", image: "three" }, { name: "c" }] },
  });
  const { changed, removed } = compare(live, merged, podType);
  assert.deepEqual(changed.toFieldsV1(), {
    "f:spec": {
      "f:containers": { 'k:{"name":"b"}': { "f:image": {} }, 'k:{"name":"c"}': { ".": {}, "f:name": {} } },
    },
  });
  assert.ok(removed.isEmpty());
});

test("an update takes the fields it changed from the other managers and keeps its own time otherwise", () => {
  const created = pod({ containers: [{ name: "app", image: "one" }] });
  created.metadata.managedFields = trackUpdate(podDef, undefined, created, "creator", "", now);
  const updated = structuredClone(created);
  (updated as unknown as { spec: { containers: { image: string }[] } }).spec.containers[0].image = "two";
  updated.metadata.managedFields = trackUpdate(podDef, created, updated, "editor", "", now);
  const [creator, editor] = updated.metadata.managedFields ?? [];
  assert.equal(creator.time, "2026-01-02T03:04:05Z");
  assert.deepEqual(creator.fieldsV1, {
    "f:spec": { "f:containers": { 'k:{"name":"app"}': { ".": {}, "f:name": {} } } },
  });
  assert.deepEqual(editor.fieldsV1, { "f:spec": { "f:containers": { 'k:{"name":"app"}': { "f:image": {} } } } });
  const again = structuredClone(updated);
  assert.equal(
    trackUpdate(podDef, updated, again, "x", "", now),
    again.metadata.managedFields,
    "no change: entries as they were",
  );
});

test("apply conflicts with an updater's field and, forced, takes it", () => {
  const live = pod({ containers: [{ name: "app", image: "one" }] });
  live.metadata.managedFields = trackUpdate(podDef, undefined, live, "creator", "", now);
  const config = pod({ containers: [{ name: "app", image: "two" }] });
  assert.throws(
    () => applyConfig(podDef, live, config, "ci", false, "", now),
    (err: Error) =>
      err.message ===
      'Apply failed with 1 conflict: conflict with "creator" using v1: .spec.containers[name="app"].image',
  );
  const { object } = applyConfig(podDef, live, config, "ci", true, "", now);
  const entries = object.metadata.managedFields ?? [];
  assert.deepEqual(
    entries.map((e) => [e.manager, e.operation]),
    [
      ["ci", "Apply"],
      ["creator", "Update"],
    ],
  );
  assert.deepEqual(entries[0].fieldsV1, {
    "f:spec": { "f:containers": { 'k:{"name":"app"}': { ".": {}, "f:image": {}, "f:name": {} } } },
  });
});

const compareCases: {
  name: string;
  before: Record<string, unknown>;
  after: Record<string, unknown>;
  changed: Record<string, unknown>;
  removed: Record<string, unknown>;
}[] = [
  {
    name: "the same object: nothing changed, nothing removed",
    before: { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: "app", image: "one" }] } },
    after: { metadata: { labels: { a: "1" } }, spec: { containers: [{ name: "app", image: "one" }] } },
    changed: {},
    removed: {},
  },
  {
    name: "a changed leaf deep in a keyed item is that leaf only",
    before: { spec: { nodeName: "n", containers: [{ name: "app", image: "one", args: ["x"] }] } },
    after: { spec: { nodeName: "n", containers: [{ name: "app", image: "two", args: ["x"] }] } },
    changed: { "f:spec": { "f:containers": { 'k:{"name":"app"}': { "f:image": {} } } } },
    removed: {},
  },
  {
    name: "a map that appears is a member with its keys; a label that goes is removed",
    before: { metadata: { labels: { a: "1", b: "2" } } },
    after: { metadata: { labels: { a: "1" }, annotations: { x: "y" } } },
    changed: { "f:metadata": { "f:annotations": { ".": {}, "f:x": {} } } },
    removed: { "f:metadata": { "f:labels": { "f:b": {} } } },
  },
  {
    name: "a set's items come and go one by one",
    before: { metadata: { finalizers: ["a", "b"] } },
    after: { metadata: { finalizers: ["b", "c"] } },
    changed: { "f:metadata": { "f:finalizers": { 'v:"c"': {} } } },
    removed: { "f:metadata": { "f:finalizers": { 'v:"a"': {} } } },
  },
  {
    name: "a struct that appears is only its fields",
    before: { spec: {} },
    after: { spec: { securityContext: { runAsUser: 1 } } },
    changed: { "f:spec": { "f:securityContext": { "f:runAsUser": {} } } },
    removed: {},
  },
];
for (const c of compareCases) {
  test(`compare: ${c.name}`, () => {
    const { changed, removed } = compare(c.before, c.after, podType);
    assert.deepEqual(changed.toFieldsV1(), c.changed);
    assert.deepEqual(removed.toFieldsV1(), c.removed);
  });
}
