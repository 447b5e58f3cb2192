// Upstream's "[sig-storage] StorageClasses CSI Conformance" (test/e2e/storage/storageclass.go) and "[sig-storage]
// CSINodes CSI Conformance" (csi_node.go), step by step, against a whole stowage through client-node.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StorageV1Api, V1CSINode, V1StorageClass } from "@kubernetes/client-node";
import { confirmGone, randomSuffix, retryOnConflict, startConformanceWorld, strategicMergePatch } from "./world.js";

async function storageClassLifecycle(storage: StorageV1Api) {
  const initial: V1StorageClass = {
    kind: "StorageClass",
    metadata: { generateName: "e2e-" },
    provisioner: "e2e-fake-provisioner",
  };
  const created = await storage.createStorageClass({ body: initial });
  assert.match(created.metadata?.resourceVersion ?? "", /^\d+$/, "a valid resourceVersion");
  const name = created.metadata?.name ?? "";
  const retrieved = await storage.readStorageClass({ name });

  const patched = await storage.patchStorageClass(
    { name, body: { metadata: { labels: { [name]: "patched" } } } },
    strategicMergePatch,
  );
  assert.equal(patched.metadata?.labels?.[name], "patched");
  assert.ok(
    BigInt(retrieved.metadata?.resourceVersion ?? "0") < BigInt(patched.metadata?.resourceVersion ?? "0"),
    "the patched object has a larger resourceVersion",
  );

  await storage.deleteStorageClass({ name });
  await confirmGone(() => storage.listStorageClass({ labelSelector: `${name}=patched` }));

  const replacement = await storage.createStorageClass({
    body: { kind: "StorageClass", metadata: { generateName: "e2e-v2-" }, provisioner: "e2e-fake-provisioner" },
  });
  const replacementName = replacement.metadata?.name ?? "";
  const updated = await retryOnConflict(async () => {
    const current = await storage.readStorageClass({ name: replacementName });
    current.metadata = { ...current.metadata, labels: { [replacementName]: "updated" } };
    return storage.replaceStorageClass({ name: replacementName, body: current });
  });
  assert.equal(updated.metadata?.labels?.[replacementName], "updated");
  const selector = `${replacementName}=updated`;
  assert.equal((await storage.listStorageClass({ labelSelector: selector })).items.length, 1);
  await storage.deleteCollectionStorageClass({ labelSelector: selector });
  await confirmGone(() => storage.listStorageClass({ labelSelector: selector }));
}

async function csiNodeLifecycle(storage: StorageV1Api) {
  // Upstream sends no drivers at all (a nil list).
  const initial = { metadata: { name: `e2e-csinode-${randomSuffix()}` }, spec: {} } as V1CSINode;
  const name = initial.metadata?.name ?? "";
  const created = await storage.createCSINode({ body: initial });
  const retrieved = await storage.readCSINode({ name });
  assert.equal(retrieved.metadata?.name, created.metadata?.name);

  const patched = await storage.patchCSINode(
    { name, body: { metadata: { labels: { [name]: "patched" } } } },
    strategicMergePatch,
  );
  assert.equal(patched.metadata?.labels?.[name], "patched");
  assert.equal((await storage.listCSINode({ labelSelector: `${name}=patched` })).items.length, 1);
  await storage.deleteCSINode({ name });
  await confirmGone(() => storage.listCSINode({ labelSelector: `${name}=patched` }));

  const replacementName = `e2e-csinode-${randomSuffix()}`;
  const second = await storage.createCSINode({ body: { metadata: { name: replacementName }, spec: { drivers: [] } } });
  const again = await storage.readCSINode({ name: second.metadata?.name ?? "" });
  assert.equal(again.metadata?.name, replacementName);
  const updated = await retryOnConflict(async () => {
    const current = await storage.readCSINode({ name: replacementName });
    current.metadata = { ...current.metadata, labels: { [replacementName]: "updated" } };
    return storage.replaceCSINode({ name: replacementName, body: current });
  });
  assert.equal(updated.metadata?.labels?.[replacementName], "updated");
  const selector = `${replacementName}=updated`;
  await storage.deleteCollectionCSINode({ labelSelector: selector });
  await confirmGone(() => storage.listCSINode({ labelSelector: selector }));
}

test("[sig-storage] StorageClasses and CSINodes CSI Conformance", async (t) => {
  const { storage } = await startConformanceWorld(t, "stowage-conformance-sc-");
  await t.test("StorageClasses: should run through the lifecycle of a StorageClass", () =>
    storageClassLifecycle(storage),
  );
  await t.test("CSINodes: should run through the lifecycle of a csinode", () => csiNodeLifecycle(storage));
});
