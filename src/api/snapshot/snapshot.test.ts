// The snapshot CRDs' schema and CEL rules, and their additionalPrinterColumns as kubectl shows them.
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from "./types.js";
import { volumeSnapshotClasses } from "./volumesnapshotclass.js";
import { volumeSnapshotContents } from "./volumesnapshotcontent.js";
import { volumeSnapshots } from "./volumesnapshot.js";

const now = new Date("2026-01-01T00:01:00Z");

function snapshot(source: VolumeSnapshot["spec"]["source"]): VolumeSnapshot {
  return {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "snap-1", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { source, volumeSnapshotClassName: "csi-hostpath-snapclass" },
  };
}

test("a VolumeSnapshot names exactly one source", () => {
  assert.deepEqual(volumeSnapshots.validateCreate(snapshot({ persistentVolumeClaimName: "data" })), []);
  assert.deepEqual(volumeSnapshots.validateCreate(snapshot({})).map(fieldErrorMessage), [
    'spec.source: Invalid value: "object": exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set',
  ]);
});

test("a VolumeSnapshot's source is immutable", () => {
  const old = snapshot({ persistentVolumeClaimName: "data" });
  const next = structuredClone(old);
  next.spec.source.persistentVolumeClaimName = "other";
  assert.deepEqual(volumeSnapshots.validateUpdate(next, old).map(fieldErrorMessage), [
    'spec.source.persistentVolumeClaimName: Invalid value: "other": persistentVolumeClaimName is immutable',
  ]);
});

test("kubectl get volumesnapshot prints the CRD's columns", () => {
  const s = snapshot({ persistentVolumeClaimName: "data" });
  s.status = {
    readyToUse: true,
    restoreSize: "1Gi",
    boundVolumeSnapshotContentName: "snapcontent-1",
    creationTime: "2026-01-01T00:00:30Z",
  };
  assert.deepEqual(
    volumeSnapshots.table.columns.map((c) => c.name.toUpperCase()),
    [
      "NAME",
      "READYTOUSE",
      "SOURCEPVC",
      "SOURCESNAPSHOTCONTENT",
      "RESTORESIZE",
      "SNAPSHOTCLASS",
      "SNAPSHOTCONTENT",
      "CREATIONTIME",
      "AGE",
    ],
  );
  assert.deepEqual(volumeSnapshots.table.row(s, now), [
    "snap-1",
    true,
    "data",
    null,
    "1Gi",
    "csi-hostpath-snapclass",
    "snapcontent-1",
    "30s",
    "60s",
  ]);
});

test("a VolumeSnapshotContent needs its required fields and one source", () => {
  const content = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: { name: "snapcontent-1", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      deletionPolicy: "Delete",
      driver: "hostpath.csi.k8s.io",
      source: { volumeHandle: "vol-1" },
      volumeSnapshotRef: { name: "snap-1", namespace: "default" },
      volumeSnapshotClassName: "csi-hostpath-snapclass",
    },
  } as VolumeSnapshotContent;
  assert.deepEqual(volumeSnapshotContents.validateCreate(content), []);
  content.status = { readyToUse: true, restoreSize: 1073741824 };
  assert.deepEqual(volumeSnapshotContents.table.row(content, now), [
    "snapcontent-1",
    true,
    1073741824,
    "Delete",
    "hostpath.csi.k8s.io",
    "csi-hostpath-snapclass",
    "snap-1",
    "default",
    "60s",
  ]);
  const bad = structuredClone(content);
  bad.spec.deletionPolicy = "Keep" as never;
  bad.spec.source = { volumeHandle: "v", snapshotHandle: "s" };
  assert.deepEqual(volumeSnapshotContents.validateCreate(bad).map(fieldErrorMessage), [
    'spec.deletionPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain"',
    'spec.source: Invalid value: "object": exactly one of volumeHandle and snapshotHandle must be set',
  ]);
});

test("a VolumeSnapshotClass needs a driver and a deletion policy", () => {
  const cls = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotClass",
    metadata: { name: "c" },
  } as VolumeSnapshotClass;
  assert.deepEqual(volumeSnapshotClasses.validateCreate(cls).map(fieldErrorMessage), [
    "deletionPolicy: Required value",
    "driver: Required value",
  ]);
  cls.driver = "hostpath.csi.k8s.io";
  cls.deletionPolicy = "Delete";
  cls.metadata.creationTimestamp = "2026-01-01T00:00:00Z";
  assert.deepEqual(volumeSnapshotClasses.table.row(cls, now), ["c", "hostpath.csi.k8s.io", "Delete", "60s"]);
});
