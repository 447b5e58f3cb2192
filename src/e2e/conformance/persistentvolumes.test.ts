// Upstream's "[sig-storage] PersistentVolumes CSI Conformance" (test/e2e/storage/persistent_volumes.go), step by
// step, against a whole stowage (its binder and protection controllers running) through client-node.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CoreV1Api, V1PersistentVolume, V1PersistentVolumeClaim } from "@kubernetes/client-node";
import { confirmGone, mergePatch, retryOnConflict, startConformanceWorld, strategicMergePatch } from "./world.js";

/** e2epv.VolumeSelectorKey: the label upstream's PVs carry, valued with the test's namespace. */
const volumeSelectorKey = "e2e-pv-pool";
const modes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany"];

/** e2epv.CreatePVsPVCs(1, 1): a 2Gi Retain PV with the given CSI source and a claim for it, class named `ns`. */
async function createPVAndPVC(core: CoreV1Api, ns: string, csi: { driver: string; volumeHandle: string }) {
  const pv: V1PersistentVolume = {
    metadata: {
      generateName: `${ns}-`,
      labels: { [volumeSelectorKey]: ns },
      annotations: { "pv.beta.kubernetes.io/gid": "777" },
    },
    spec: {
      persistentVolumeReclaimPolicy: "Retain",
      capacity: { storage: "2Gi" },
      accessModes: modes,
      storageClassName: ns,
      csi,
    },
  };
  const claim: V1PersistentVolumeClaim = {
    metadata: { generateName: "pvc-", namespace: ns },
    spec: { accessModes: modes, resources: { requests: { storage: "2Gi" } }, storageClassName: ns },
  };
  const createdPV = await core.createPersistentVolume({ body: pv });
  const createdPVC = await core.createNamespacedPersistentVolumeClaim({ namespace: ns, body: claim });
  return { pvName: createdPV.metadata?.name ?? "", pvcName: createdPVC.metadata?.name ?? "" };
}

const newerVersion = (before: string | undefined, after: string | undefined) =>
  BigInt(before ?? "0") < BigInt(after ?? "0");

test("[sig-storage] PersistentVolumes CSI Conformance", async (t) => {
  const world = await startConformanceWorld(t, "stowage-conformance-pv-");
  const { core, storage } = world;

  await t.test("should run through the lifecycle of a PV and a PVC", async () => {
    const ns = await world.namespace("pv-lifecycle");
    const driver = await storage.createCSIDriver({
      body: {
        metadata: { name: `inline-driver-${crypto.randomUUID()}`, labels: { "e2e-test": ns } },
        spec: { volumeLifecycleModes: ["Persistent"], fsGroupPolicy: "ReadWriteOnceWithFSType" },
      },
    });
    const volLabel = `${volumeSelectorKey}=${ns}`;
    const source = { driver: driver.metadata?.name ?? "", volumeHandle: "e2e-conformance" };
    await createPVAndPVC(core, ns, source);

    const pvList = await core.listPersistentVolume({ labelSelector: volLabel });
    assert.equal(pvList.items.length, 1);
    const initialPV = pvList.items[0];
    const pvcList = await core.listNamespacedPersistentVolumeClaim({ namespace: ns });
    assert.equal(pvcList.items.length, 1);
    const initialPVC = pvcList.items[0];
    const pvName = initialPV.metadata?.name ?? "";
    const pvcName = initialPVC.metadata?.name ?? "";

    const patchedPV = await core.patchPersistentVolume(
      { name: pvName, body: { metadata: { labels: { [pvName]: "patched" } } } },
      strategicMergePatch,
    );
    assert.equal(patchedPV.metadata?.labels?.[pvName], "patched");
    assert.ok(newerVersion(initialPV.metadata?.resourceVersion, patchedPV.metadata?.resourceVersion));
    const patchedPVC = await core.patchNamespacedPersistentVolumeClaim(
      { name: pvcName, namespace: ns, body: { metadata: { labels: { [pvcName]: "patched" } } } },
      strategicMergePatch,
    );
    assert.equal(patchedPVC.metadata?.labels?.[pvcName], "patched");
    assert.ok(newerVersion(initialPVC.metadata?.resourceVersion, patchedPVC.metadata?.resourceVersion));

    assert.equal((await core.readPersistentVolume({ name: pvName })).metadata?.uid, patchedPV.metadata?.uid);
    const retrievedPVC = await core.readNamespacedPersistentVolumeClaim({ name: pvcName, namespace: ns });
    assert.equal(retrievedPVC.metadata?.uid, patchedPVC.metadata?.uid);

    await core.deleteNamespacedPersistentVolumeClaim({ name: pvcName, namespace: ns });
    await confirmGone(() => core.listNamespacedPersistentVolumeClaim({ namespace: ns }));
    await core.deletePersistentVolume({ name: pvName });
    await confirmGone(() => core.listPersistentVolume({ labelSelector: volLabel }));

    // Recreating another PV and PVC, then update and deleteCollection.
    const second = await createPVAndPVC(core, ns, source);
    const updatedPV = await retryOnConflict(async () => {
      const pv = await core.readPersistentVolume({ name: second.pvName });
      pv.metadata = { ...pv.metadata, labels: { ...pv.metadata?.labels, [second.pvName]: "updated" } };
      return core.replacePersistentVolume({ name: second.pvName, body: pv });
    });
    assert.equal(updatedPV.metadata?.labels?.[second.pvName], "updated");
    const updatedPVC = await retryOnConflict(async () => {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ name: second.pvcName, namespace: ns });
      pvc.metadata = { ...pvc.metadata, labels: { [second.pvcName]: "updated" } };
      return core.replaceNamespacedPersistentVolumeClaim({ name: second.pvcName, namespace: ns, body: pvc });
    });
    assert.equal(updatedPVC.metadata?.labels?.[second.pvcName], "updated");

    const pvcSelector = `${second.pvcName}=updated`;
    const everywhere = await core.listPersistentVolumeClaimForAllNamespaces({ labelSelector: pvcSelector });
    assert.equal(everywhere.items.length, 1);
    await core.deleteCollectionNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: pvcSelector });
    await confirmGone(() => core.listNamespacedPersistentVolumeClaim({ namespace: ns, labelSelector: pvcSelector }));
    const pvSelector = `${second.pvName}=updated`;
    await core.deleteCollectionPersistentVolume({ labelSelector: pvSelector });
    await confirmGone(() => core.listPersistentVolume({ labelSelector: pvSelector }));
  });

  await t.test("should apply changes to a pv/pvc status", async () => {
    const ns = await world.namespace("pv-status");
    const source = { driver: `e2e-driver-${crypto.randomUUID()}`, volumeHandle: "e2e-status-conformance" };
    await createPVAndPVC(core, ns, source);
    const pvList = await core.listPersistentVolume({ labelSelector: `${volumeSelectorKey}=${ns}` });
    assert.equal(pvList.items.length, 1);
    const pvName = pvList.items[0].metadata?.name ?? "";
    const pvcList = await core.listNamespacedPersistentVolumeClaim({ namespace: ns });
    assert.equal(pvcList.items.length, 1);
    const pvcName = pvcList.items[0].metadata?.name ?? "";

    const pvcStatus = await core.readNamespacedPersistentVolumeClaimStatus({ name: pvcName, namespace: ns });
    assert.ok(["Pending", "Bound"].includes(pvcStatus.status?.phase ?? ""), `claim phase ${pvcStatus.status?.phase}`);
    const pvStatus = await core.readPersistentVolumeStatus({ name: pvName });
    assert.ok(["Available", "Bound", "Pending"].includes(pvStatus.status?.phase ?? ""), `pv ${pvStatus.status?.phase}`);

    const patchedPVC = await core.patchNamespacedPersistentVolumeClaimStatus(
      {
        name: pvcName,
        namespace: ns,
        body: {
          status: {
            conditions: [
              { type: "StatusPatched", status: "True", reason: "E2E patchedStatus", message: "Set from e2e test" },
            ],
          },
        },
      },
      mergePatch,
    );
    const patchedCondition = patchedPVC.status?.conditions?.find((c) => c.type === "StatusPatched");
    assert.match(patchedCondition?.message ?? "", /Set from e2e test/);
    assert.match(patchedCondition?.reason ?? "", /E2E patchedStatus/);

    const patchedPV = await core.patchPersistentVolumeStatus(
      { name: pvName, body: { status: { message: "StatusPatched", reason: "E2E patchStatus" } } },
      mergePatch,
    );
    assert.equal(patchedPV.status?.reason, "E2E patchStatus");
    assert.equal(patchedPV.status?.message, "StatusPatched");

    const updatedPVC = await retryOnConflict(async () => {
      const pvc = await core.readNamespacedPersistentVolumeClaim({ name: pvcName, namespace: ns });
      const condition = {
        type: "StatusUpdated",
        status: "True",
        reason: "E2E updateStatus",
        message: "Set from e2e test",
      };
      pvc.status = { ...pvc.status, conditions: [...(pvc.status?.conditions ?? []), condition] };
      return core.replaceNamespacedPersistentVolumeClaimStatus({ name: pvcName, namespace: ns, body: pvc });
    });
    const updatedCondition = updatedPVC.status?.conditions?.find((c) => c.type === "StatusUpdated");
    assert.match(updatedCondition?.message ?? "", /Set from e2e test/);
    assert.match(updatedCondition?.reason ?? "", /E2E updateStatus/);

    const updatedPV = await retryOnConflict(async () => {
      const pv = await core.readPersistentVolume({ name: pvName });
      pv.status = { ...pv.status, reason: "E2E updateStatus", message: "StatusUpdated" };
      return core.replacePersistentVolumeStatus({ name: pvName, body: pv });
    });
    assert.equal(updatedPV.status?.reason, "E2E updateStatus");
    assert.equal(updatedPV.status?.message, "StatusUpdated");
  });
});
