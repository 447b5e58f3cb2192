// Rows are upstream's PVC rules (pkg/apis/core/validation, the PersistentVolumeClaimResize admission plugin).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import type { StorageClass } from "../storage/types.js";
import { persistentVolumeClaims, validateClaimResize } from "./persistentvolumeclaim.js";
import type { PersistentVolumeClaim } from "./types.js";

function pvc(spec: Partial<PersistentVolumeClaim["spec"]> = {}, name = "my-pvc"): PersistentVolumeClaim {
  const claim: PersistentVolumeClaim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } }, ...spec },
  };
  persistentVolumeClaims.applyDefaults(claim);
  return claim;
}

function bound(claim: PersistentVolumeClaim, capacity: string): PersistentVolumeClaim {
  claim.spec.volumeName = "pv-1";
  claim.status = { phase: "Bound", capacity: { storage: capacity }, accessModes: ["ReadWriteOnce"] };
  return claim;
}

const create = (claim: PersistentVolumeClaim): string[] =>
  persistentVolumeClaims.validateCreate(claim).map(fieldErrorMessage);
const update = (claim: PersistentVolumeClaim, old: PersistentVolumeClaim): string[] =>
  persistentVolumeClaims.validateUpdate(claim, old).map(fieldErrorMessage);

const createCases: { name: string; claim: PersistentVolumeClaim; want: string[] }[] = [
  { name: "a claim with an access mode and a storage request is valid", claim: pvc(), want: [] },
  {
    name: "access modes are required",
    claim: pvc({ accessModes: [] }),
    want: ["spec.accessModes: Required value: at least 1 access mode is required"],
  },
  {
    name: "a storage request is required",
    claim: pvc({ resources: {} }),
    want: ["spec.resources[storage]: Required value"],
  },
  {
    name: "the storage request must be positive",
    claim: pvc({ resources: { requests: { storage: "0" } } }),
    want: ['spec.resources[storage]: Invalid value: "0": must be greater than zero'],
  },
  {
    name: "a malformed request gets the quantity grammar message",
    claim: pvc({ resources: { requests: { storage: "5GB" } } }),
    want: [
      `spec.resources[storage]: Invalid value: "5GB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ],
  },
  {
    name: "a claim needs a namespace",
    claim: { ...pvc(), metadata: { name: "x" } },
    want: ["metadata.namespace: Required value"],
  },
  {
    name: "a dataSource of an unknown core kind is refused",
    claim: pvc({ dataSource: { kind: "ConfigMap", name: "x" } }),
    want: ['spec.dataSource: Invalid value: "ConfigMap"'],
  },
  {
    name: "a snapshot dataSource is valid",
    claim: pvc({ dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: "snap" } }),
    want: [],
  },
  {
    name: "a name needs generateName or name",
    claim: { ...pvc(), metadata: { namespace: "default" } },
    want: ["metadata.name: Required value: name or generateName is required"],
  },
];
for (const c of createCases) test(`PersistentVolumeClaim: ${c.name}`, () => assert.deepEqual(create(c.claim), c.want));

test("defaults: volumeMode Filesystem and phase Pending", () => {
  const claim = pvc();
  persistentVolumeClaims.prepareForCreate!(claim);
  assert.equal(claim.spec.volumeMode, "Filesystem");
  assert.equal(claim.status?.phase, "Pending");
});

test("the binder may set volumeName once", () => {
  const old = pvc();
  const next = structuredClone(old);
  next.spec.volumeName = "pv-1";
  assert.deepEqual(update(next, old), []);
  const again = structuredClone(next);
  again.spec.volumeName = "pv-2";
  assert.match(
    update(again, next)[0],
    /^spec: Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims\n/,
  );
});

test("a claim created without a class may be given one once (retroactive default class)", () => {
  const old = pvc();
  const next = structuredClone(old);
  next.spec.storageClassName = "standard";
  assert.deepEqual(update(next, old), []);
  const changed = structuredClone(next);
  changed.spec.storageClassName = "fast";
  assert.equal(update(changed, next).length, 1);
});

test("the spec is immutable after creation", () => {
  const old = pvc();
  const next = structuredClone(old);
  next.spec.accessModes = ["ReadWriteMany"];
  const errs = update(next, old);
  assert.equal(errs.length, 1);
  assert.match(
    errs[0],
    /^spec: Forbidden: spec is immutable after creation except resources\.requests and volumeAttributesClassName for bound claims/,
  );
});

test("a bound claim may grow its request", () => {
  const old = bound(pvc(), "5Gi");
  const next = structuredClone(old);
  next.spec.resources!.requests!.storage = "10Gi";
  assert.deepEqual(update(next, old), []);
});

test("an unbound claim may not change its request", () => {
  const old = pvc();
  const next = structuredClone(old);
  next.spec.resources!.requests!.storage = "10Gi";
  assert.equal(update(next, old).length, 1);
});

test("a claim may not shrink to its capacity or below", () => {
  const old = bound(pvc(), "5Gi");
  const next = structuredClone(old);
  next.spec.resources!.requests!.storage = "1Gi";
  assert.deepEqual(update(next, old), [
    "spec.resources.requests.storage: Forbidden: field can not be less than status.capacity",
  ]);
});

test("a claim may shrink a failed expansion back toward, but above, its capacity", () => {
  const old = bound(pvc({ resources: { requests: { storage: "100Gi" } } }), "5Gi");
  const next = structuredClone(old);
  next.spec.resources!.requests!.storage = "10Gi";
  assert.deepEqual(update(next, old), []);
});

const sc = (allowVolumeExpansion?: boolean): StorageClass => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "fast" },
  provisioner: "hostpath.csi.k8s.io",
  allowVolumeExpansion,
});

const resizeCases = [
  { name: "growth is allowed when the class allows expansion", cls: sc(true), want: [] as string[] },
  {
    name: "growth is refused when the class does not allow expansion",
    cls: sc(false),
    want: [
      "spec.resources.requests.storage: Forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
    ],
  },
  {
    name: "growth is refused without a class",
    cls: undefined,
    want: [
      "spec.resources.requests.storage: Forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize",
    ],
  },
];
for (const c of resizeCases) {
  test(`resize admission: ${c.name}`, () => {
    const old = bound(pvc({ storageClassName: "fast" }), "5Gi");
    const next = structuredClone(old);
    next.spec.resources!.requests!.storage = "10Gi";
    assert.deepEqual(validateClaimResize(next, old, c.cls).map(fieldErrorMessage), c.want);
  });
}

test("resize admission: only bound claims can be expanded", () => {
  const old = pvc({ storageClassName: "fast" });
  const next = structuredClone(old);
  next.spec.resources!.requests!.storage = "10Gi";
  assert.deepEqual(validateClaimResize(next, old, sc(true)).map(fieldErrorMessage), [
    "spec.resources.requests.storage: Forbidden: Only bound persistent volume claims can be expanded",
  ]);
});

test("resize admission ignores updates that do not grow the request", () => {
  const old = bound(pvc({ storageClassName: "fast" }), "5Gi");
  assert.deepEqual(validateClaimResize(structuredClone(old), old, undefined), []);
});

test("kubectl get pvc shows capacity and access modes only once bound", () => {
  const now = new Date("2026-01-01T01:00:00Z");
  const pending = pvc({ storageClassName: "standard" });
  pending.metadata.creationTimestamp = "2026-01-01T00:59:30Z";
  assert.deepEqual(persistentVolumeClaims.table.row(pending, now), [
    "my-pvc",
    "Pending",
    "",
    "",
    "",
    "standard",
    "<unset>",
    "30s",
    "Filesystem",
  ]);
  const claim = bound(pvc(), "1536Mi");
  claim.metadata.creationTimestamp = "2026-01-01T00:00:00Z";
  assert.deepEqual(persistentVolumeClaims.table.row(claim, now), [
    "my-pvc",
    "Bound",
    "pv-1",
    "1536Mi",
    "RWO",
    "",
    "<unset>",
    "60m",
    "Filesystem",
  ]);
  assert.deepEqual(
    persistentVolumeClaims.table.columns.map((c) => c.name.toUpperCase()),
    [
      "NAME",
      "STATUS",
      "VOLUME",
      "CAPACITY",
      "ACCESS MODES",
      "STORAGECLASS",
      "VOLUMEATTRIBUTESCLASS",
      "AGE",
      "VOLUMEMODE",
    ],
  );
});
