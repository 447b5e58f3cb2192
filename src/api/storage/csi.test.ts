// CSIDriver, CSINode, VolumeAttachment and CSIStorageCapacity rules and rows as upstream (pkg/apis/storage).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { csiDrivers } from "./csidriver.js";
import { csiNodes } from "./csinode.js";
import type { CSIDriver, CSINode, CSIStorageCapacity, VolumeAttachment } from "./types.js";
import { csiStorageCapacities } from "./csistoragecapacity.js";
import { volumeAttachments } from "./volumeattachment.js";

const now = new Date("2026-01-01T00:00:10Z");
const created = "2026-01-01T00:00:00Z";

test("CSIDriver defaults as upstream and prints its columns", () => {
  const driver: CSIDriver = {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: "hostpath.csi.k8s.io", creationTimestamp: created },
    spec: {},
  };
  csiDrivers.applyDefaults(driver);
  assert.deepEqual(driver.spec, {
    attachRequired: true,
    podInfoOnMount: false,
    storageCapacity: false,
    fsGroupPolicy: "ReadWriteOnceWithFSType",
    volumeLifecycleModes: ["Persistent"],
    requiresRepublish: false,
    seLinuxMount: false,
  });
  assert.deepEqual(csiDrivers.validateCreate(driver), []);
  assert.deepEqual(csiDrivers.table.row(driver, now), [
    "hostpath.csi.k8s.io",
    true,
    false,
    false,
    "<unset>",
    false,
    "Persistent",
    "10s",
  ]);
});

test("CSIDriver names follow the driver-name rule, at the path 'name'", () => {
  const driver: CSIDriver = {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: "Bad_Driver" },
    spec: {},
  };
  csiDrivers.applyDefaults(driver);
  assert.match(
    csiDrivers.validateCreate(driver).map(fieldErrorMessage)[0],
    /^name: Invalid value: "Bad_Driver": a lowercase RFC 1123 subdomain/,
  );
});

test("CSIDriver attachRequired is immutable", () => {
  const old: CSIDriver = {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: "d.example.com" },
    spec: {},
  };
  csiDrivers.applyDefaults(old);
  const next = structuredClone(old);
  next.spec.attachRequired = false;
  assert.deepEqual(csiDrivers.validateUpdate(next, old).map(fieldErrorMessage), [
    "spec.attachedRequired: Invalid value: false: field is immutable",
  ]);
});

test("CSINode drivers need a nodeID and unique names", () => {
  const node: CSINode = {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSINode",
    metadata: { name: "node-1", creationTimestamp: created },
    spec: {
      drivers: [
        { name: "hostpath.csi.k8s.io", nodeID: "" },
        { name: "hostpath.csi.k8s.io", nodeID: "n1" },
      ],
    },
  };
  assert.deepEqual(csiNodes.validateCreate(node).map(fieldErrorMessage), [
    "spec.drivers[0].nodeID: Required value",
    'spec.drivers[1].name: Duplicate value: "hostpath.csi.k8s.io"',
  ]);
  assert.deepEqual(csiNodes.table.row(node, now), ["node-1", 2, "10s"]);
});

test("a registered driver's nodeID cannot change", () => {
  const old: CSINode = {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSINode",
    metadata: { name: "n" },
    spec: { drivers: [{ name: "d.io", nodeID: "a" }] },
  };
  const next = structuredClone(old);
  next.spec.drivers[0].nodeID = "b";
  assert.deepEqual(csiNodes.validateUpdate(next, old).map(fieldErrorMessage), [
    'spec.drivers[0].nodeID: Invalid value: "b": field is immutable',
  ]);
});

function attachment(source: VolumeAttachment["spec"]["source"]): VolumeAttachment {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name: "csi-123", creationTimestamp: created },
    spec: { attacher: "hostpath.csi.k8s.io", nodeName: "node-1", source },
  };
}

test("a VolumeAttachment names exactly one source", () => {
  assert.deepEqual(volumeAttachments.validateCreate(attachment({ persistentVolumeName: "pv-1" })), []);
  assert.deepEqual(volumeAttachments.validateCreate(attachment({})).map(fieldErrorMessage), [
    "spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName",
  ]);
});

test("a VolumeAttachment's spec is immutable, its status is not", () => {
  const old = attachment({ persistentVolumeName: "pv-1" });
  const moved = structuredClone(old);
  moved.spec.nodeName = "node-2";
  assert.match(
    volumeAttachments.validateUpdate(moved, old).map(fieldErrorMessage)[0],
    /^spec: Invalid value: .*field is immutable$/,
  );
  const attached = structuredClone(old);
  attached.status = { attached: true };
  assert.deepEqual(volumeAttachments.validateStatusUpdate!(attached, old), []);
  assert.deepEqual(volumeAttachments.table.row(attached, now), [
    "csi-123",
    "hostpath.csi.k8s.io",
    "pv-1",
    "node-1",
    true,
    "10s",
  ]);
});

test("CSIStorageCapacity prints NAME STORAGECLASSNAME CAPACITY", () => {
  const capacity: CSIStorageCapacity = {
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIStorageCapacity",
    metadata: { name: "csisc-abc", namespace: "default" },
    storageClassName: "fast",
    capacity: "1024Mi",
  };
  assert.deepEqual(csiStorageCapacities.validateCreate(capacity), []);
  assert.deepEqual(csiStorageCapacities.table.row(capacity, now), ["csisc-abc", "fast", "1Gi"]);
  const negative = { ...capacity, capacity: "-1Gi" };
  assert.deepEqual(csiStorageCapacities.validateCreate(negative).map(fieldErrorMessage), [
    'capacity: Invalid value: "-1Gi": must be greater than or equal to 0',
  ]);
});
