// Upstream's "[sig-storage] VolumeAttachment Conformance" (test/e2e/storage/volume_attachment.go), step by step,
// against a whole stowage with its attach-detach controller running: the VolumeAttachments name a volume no
// one manages, so the controller must leave them alone for the lifecycle to go through.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StorageV1Api, V1VolumeAttachment } from "@kubernetes/client-node";
import {
  confirmGone,
  mergePatch,
  randomSuffix,
  retryOnConflict,
  startConformanceWorld,
  type ConformanceWorld,
} from "./world.js";

/** upstream NewVolumeAttachment: attacher e2e-test.storage.k8s.io, a PV that does not exist, attached false. */
function newVolumeAttachment(name: string, pvName: string, nodeName: string): V1VolumeAttachment {
  return {
    metadata: { name },
    spec: { attacher: "e2e-test.storage.k8s.io", nodeName, source: { persistentVolumeName: pvName } },
    status: { attached: false },
  };
}

/** upstream createVolumeAttachment: va-e2e-xxxxx for pv-e2e-xxxxx on one of the cluster's nodes. */
async function createVolumeAttachment(world: ConformanceWorld): Promise<{ name: string; nodeName: string }> {
  const suffix = `e2e-${randomSuffix()}`;
  const nodes = (await world.core.listNode()).items;
  const nodeName = nodes[Math.floor(Math.random() * nodes.length)].metadata?.name ?? "";
  const created = await world.storage.createVolumeAttachment({
    body: newVolumeAttachment(`va-${suffix}`, `pv-${suffix}`, nodeName),
  });
  assert.equal(created.metadata?.name, `va-${suffix}`, "the created VolumeAttachment has the correct name");
  return { name: `va-${suffix}`, nodeName };
}

/** retry.RetryOnConflict around get, set labels, update. */
function updateLabels(storage: StorageV1Api, name: string, labels: Record<string, string>) {
  return retryOnConflict(async () => {
    const current = await storage.readVolumeAttachment({ name });
    current.metadata = { ...current.metadata, labels };
    return storage.replaceVolumeAttachment({ name, body: current });
  });
}

test("[sig-storage] VolumeAttachment Conformance", async (t) => {
  const world = await startConformanceWorld(t, "stowage-conformance-va-");
  const { storage } = world;

  await t.test("should run through the lifecycle of a VolumeAttachment", async () => {
    const first = await createVolumeAttachment(world);
    const retrieved = await storage.readVolumeAttachment({ name: first.name });
    assert.equal(retrieved.metadata?.name, first.name);

    const patched = await storage.patchVolumeAttachment(
      { name: first.name, body: { metadata: { labels: { [first.name]: "patched" } } } },
      mergePatch,
    );
    assert.equal(patched.metadata?.labels?.[first.name], "patched");
    const patchedSelector = `${first.name}=patched`;
    const listed = await storage.listVolumeAttachment({ labelSelector: patchedSelector });
    assert.equal(listed.items.length, 1);

    await storage.deleteVolumeAttachment({ name: first.name });
    await confirmGone(() => storage.listVolumeAttachment({ labelSelector: patchedSelector }));

    const second = await createVolumeAttachment(world);
    const updated = await updateLabels(storage, second.name, { "va-e2e": "updated" });
    assert.equal(updated.metadata?.labels?.["va-e2e"], "updated");
    const third = await createVolumeAttachment(world);
    const updatedThird = await updateLabels(storage, third.name, { "va-e2e": "updated" });
    assert.equal(updatedThird.metadata?.labels?.["va-e2e"], "updated");

    await storage.deleteCollectionVolumeAttachment({ labelSelector: "va-e2e=updated" });
    await confirmGone(() => storage.listVolumeAttachment({ labelSelector: "va-e2e=updated" }));
  });

  await t.test("should apply changes to a volumeattachment status", async () => {
    const suffix = `e2e-${randomSuffix()}`;
    const nodes = (await world.core.listNode()).items;
    const nodeName = nodes[0].metadata?.name ?? "";
    const name = `va-${suffix}`;
    const created = await storage.createVolumeAttachment({
      body: newVolumeAttachment(name, `pv-${suffix}`, nodeName),
    });
    assert.equal(created.metadata?.name, name);

    const patched = await storage.patchVolumeAttachment(
      { name, body: { metadata: { labels: { [name]: "patched" } } } },
      mergePatch,
    );
    assert.equal(patched.metadata?.labels?.[name], "patched");

    const read = await storage.readVolumeAttachmentStatus({ name });
    assert.equal(read.status?.attached ?? false, false, "the status reads attached false");

    const statusPatched = await storage.patchVolumeAttachmentStatus(
      { name, body: { status: { attached: true } } },
      mergePatch,
    );
    assert.equal(statusPatched.status?.attached, true, "the status patch is applied");

    const current = await storage.readVolumeAttachment({ name });
    current.status = { ...current.status, attached: false };
    const updated = await storage.replaceVolumeAttachmentStatus({ name, body: current });
    assert.equal(updated.status?.attached, false, "the status update is applied");

    await storage.deleteVolumeAttachment({ name });
    await confirmGone(() => storage.listVolumeAttachment({ labelSelector: `${name}=patched` }));
  });
});
