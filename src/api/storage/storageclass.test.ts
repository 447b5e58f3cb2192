// StorageClass rules as upstream's pkg/apis/storage/validation, and `kubectl get sc` as upstream prints it.
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage, invalidMessage } from "../field.js";
import { storageClasses } from "./storageclass.js";
import type { StorageClass } from "./types.js";

function sc(fields: Partial<StorageClass> = {}): StorageClass {
  const storageClass: StorageClass = {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "fast" },
    provisioner: "hostpath.csi.k8s.io",
    ...fields,
  };
  storageClasses.applyDefaults(storageClass);
  return storageClass;
}
const create = (storageClass: StorageClass): string[] =>
  storageClasses.validateCreate(storageClass).map(fieldErrorMessage);
const update = (next: StorageClass, old: StorageClass): string[] =>
  storageClasses.validateUpdate(next, old).map(fieldErrorMessage);

test("defaults: reclaimPolicy Delete and volumeBindingMode Immediate", () => {
  const storageClass = sc();
  assert.equal(storageClass.reclaimPolicy, "Delete");
  assert.equal(storageClass.volumeBindingMode, "Immediate");
  assert.deepEqual(create(storageClass), []);
});

const createCases: { name: string; sc: StorageClass; want: string[] }[] = [
  { name: "a provisioner is required", sc: sc({ provisioner: "" }), want: ["provisioner: Required value"] },
  {
    name: "the provisioner must be a qualified name",
    sc: sc({ provisioner: "my provisioner" }),
    want: [
      `provisioner: Invalid value: "my provisioner": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    ],
  },
  {
    name: "Recycle is not a StorageClass reclaim policy",
    sc: sc({ reclaimPolicy: "Recycle" }),
    want: ['reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"'],
  },
  {
    name: "an unknown binding mode is refused",
    sc: sc({ volumeBindingMode: "Later" as never }),
    want: ['volumeBindingMode: Unsupported value: "Later": supported values: "Immediate", "WaitForFirstConsumer"'],
  },
  {
    name: "allowed topologies need at least one expression",
    sc: sc({ allowedTopologies: [{ matchLabelExpressions: [] }] }),
    want: ["allowedTopologies[0].matchLabelExpressions: Required value: must contain at least one key/value pair"],
  },
];
for (const c of createCases) test(`StorageClass: ${c.name}`, () => assert.deepEqual(create(c.sc), c.want));

const updateCases: { name: string; change: (s: StorageClass) => void; want: string[] }[] = [
  {
    name: "parameters are immutable",
    change: (s) => (s.parameters = { type: "ssd" }),
    want: ["parameters: Forbidden: updates to parameters are forbidden."],
  },
  {
    name: "the provisioner is immutable",
    change: (s) => (s.provisioner = "other.csi.k8s.io"),
    want: ["provisioner: Forbidden: updates to provisioner are forbidden."],
  },
  {
    name: "the reclaim policy is immutable",
    change: (s) => (s.reclaimPolicy = "Retain"),
    want: ["reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden."],
  },
  {
    name: "the binding mode is immutable",
    change: (s) => (s.volumeBindingMode = "WaitForFirstConsumer"),
    want: ['volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable'],
  },
  { name: "allowVolumeExpansion may change", change: (s) => (s.allowVolumeExpansion = true), want: [] },
  {
    name: "the default-class annotation may change",
    change: (s) => (s.metadata.annotations = { "storageclass.kubernetes.io/is-default-class": "true" }),
    want: [],
  },
];
for (const c of updateCases) {
  test(`StorageClass update: ${c.name}`, () => {
    const old = sc();
    const next = structuredClone(old);
    c.change(next);
    assert.deepEqual(update(next, old), c.want);
  });
}

test("the 422 message names the group-qualified kind", () => {
  const old = sc();
  const next = structuredClone(old);
  next.parameters = { a: "b" };
  assert.equal(
    invalidMessage("storage.k8s.io", "StorageClass", "fast", storageClasses.validateUpdate(next, old)),
    'StorageClass.storage.k8s.io "fast" is invalid: parameters: Forbidden: updates to parameters are forbidden.',
  );
});

test("kubectl get sc marks the default class and prints upstream's columns", () => {
  const storageClass = sc({ allowVolumeExpansion: true, volumeBindingMode: "WaitForFirstConsumer" });
  storageClass.metadata.annotations = { "storageclass.kubernetes.io/is-default-class": "true" };
  storageClass.metadata.creationTimestamp = "2026-01-01T00:00:00Z";
  assert.deepEqual(
    storageClasses.table.columns.map((c) => c.name.toUpperCase()),
    ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
  );
  assert.deepEqual(storageClasses.table.row(storageClass, new Date("2026-01-03T00:00:00Z")), [
    "fast (default)",
    "hostpath.csi.k8s.io",
    "Delete",
    "WaitForFirstConsumer",
    true,
    "2d",
  ]);
  const plain = sc();
  assert.equal(storageClasses.table.row(plain, new Date())[0], "fast");
  assert.equal(storageClasses.table.row(plain, new Date())[4], false);
});
