// The strings users and tools search for, spelled as upstream spells them.
import assert from "node:assert/strict";
import test from "node:test";
import {
  AnnBindCompleted,
  AnnIsDefaultStorageClass,
  AnnSelectedNode,
  PVCProtectionFinalizer,
  ProvisionerVolumeFinalizer,
  VolumeSnapshotBoundFinalizer,
  attacherFinalizer,
} from "./wellknown.js";

test("the external-attacher finalizer sanitizes the driver name as upstream", () => {
  assert.equal(attacherFinalizer("hostpath.csi.k8s.io"), "external-attacher/hostpath-csi-k8s-io");
  assert.equal(attacherFinalizer("block.stowage.io/"), "external-attacher/block-stowage-io-X");
});

test("annotation and finalizer names are upstream's", () => {
  assert.equal(AnnBindCompleted, "pv.kubernetes.io/bind-completed");
  assert.equal(AnnSelectedNode, "volume.kubernetes.io/selected-node");
  assert.equal(AnnIsDefaultStorageClass, "storageclass.kubernetes.io/is-default-class");
  assert.equal(PVCProtectionFinalizer, "kubernetes.io/pvc-protection");
  assert.equal(ProvisionerVolumeFinalizer, "external-provisioner.volume.kubernetes.io/finalizer");
  assert.equal(VolumeSnapshotBoundFinalizer, "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection");
});
