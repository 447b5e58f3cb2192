// Upstream's "[sig-storage] CSIInlineVolumes" conformance tests (test/e2e/storage/csi_inline.go), step by step,
// against a whole stowage through client-node: pods with CSI inline volumes through the Pod API, and the
// lifecycle of CSIDrivers.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { V1CSIDriver, V1Pod } from "@kubernetes/client-node";
import { mergePatch, retryOnConflict, startConformanceWorld, statusCode, strategicMergePatch } from "./world.js";

/** Upstream's "Okay, normal case": gone (404), or still there with a deletionTimestamp. */
async function deletedOrDeleting(read: () => Promise<{ metadata?: { deletionTimestamp?: Date } }>) {
  try {
    const object = await read();
    assert.ok(object.metadata?.deletionTimestamp, "deleted, or has a deletionTimestamp");
  } catch (err) {
    assert.equal(statusCode(err), 404, String(err));
  }
}

test("[sig-storage] CSIInlineVolumes", async (t) => {
  const world = await startConformanceWorld(t, "stowage-conformance-inline-");
  const { core, storage } = world;

  await t.test("should support CSIVolumeSource in Pod API", async () => {
    const namespace = await world.namespace("csiinlinevolumes");
    const driver = "e2e.example.com";
    const podName = "pod-csi-inline-volumes";
    const pod: V1Pod = {
      metadata: { name: podName },
      spec: {
        volumes: [
          { name: "csi-inline-vol1", csi: { driver } },
          { name: "csi-inline-vol2", csi: { driver, fsType: "ext4", readOnly: true } },
        ],
        containers: [
          {
            name: podName,
            image: "busybox",
            command: ["sh", "-c", "ls /mnt/*"],
            volumeMounts: [
              { name: "csi-inline-vol1", mountPath: "/mnt/vol1" },
              { name: "csi-inline-vol2", mountPath: "/mnt/vol2" },
            ],
          },
        ],
      },
    };
    const created = await core.createNamespacedPod({ namespace, body: pod });
    await assert.rejects(core.createNamespacedPod({ namespace, body: pod }), (err) => statusCode(err) === 409);
    const retrieved = await core.readNamespacedPod({ name: podName, namespace });
    assert.equal(retrieved.metadata?.uid, created.metadata?.uid);
    const list = await core.listNamespacedPod({ namespace });
    assert.equal(list.items.length, 1);
    const patched = await core.patchNamespacedPod(
      { name: podName, namespace, body: { metadata: { annotations: { patched: "true" } } } },
      mergePatch,
    );
    assert.equal(patched.metadata?.annotations?.patched, "true");
    await core.deleteNamespacedPod({ name: podName, namespace });
    await deletedOrDeleting(() => core.readNamespacedPod({ name: podName, namespace }));
  });

  await t.test("should run through the lifecycle of a CSIDriver", async () => {
    const label = { "e2e-test": `csidriver-${crypto.randomUUID().slice(0, 8)}` };
    const selector = `e2e-test=${label["e2e-test"]}`;
    const driver1: V1CSIDriver = {
      metadata: { name: `inline-driver-${crypto.randomUUID()}`, labels: label },
      spec: { volumeLifecycleModes: ["Ephemeral"], fsGroupPolicy: "ReadWriteOnceWithFSType" },
    };
    const driver2: V1CSIDriver = {
      metadata: { name: `inline-driver-${crypto.randomUUID()}`, labels: label },
      spec: { volumeLifecycleModes: ["Persistent", "Ephemeral"], fsGroupPolicy: "ReadWriteOnceWithFSType" },
    };
    const created1 = await storage.createCSIDriver({ body: driver1 });
    const created2 = await storage.createCSIDriver({ body: driver2 });
    await assert.rejects(storage.createCSIDriver({ body: driver1 }), (err) => statusCode(err) === 409);
    const name1 = created1.metadata?.name ?? "";
    const name2 = created2.metadata?.name ?? "";
    assert.equal((await storage.readCSIDriver({ name: name1 })).metadata?.uid, created1.metadata?.uid);
    assert.equal((await storage.readCSIDriver({ name: name2 })).metadata?.uid, created2.metadata?.uid);

    const patched = await storage.patchCSIDriver(
      { name: name2, body: { metadata: { labels: { [name2]: "patched" } } } },
      strategicMergePatch,
    );
    assert.match(patched.metadata?.labels?.[name2] ?? "", /patched/);
    const updated = await retryOnConflict(async () => {
      const current = await storage.readCSIDriver({ name: name2 });
      current.metadata = { ...current.metadata, labels: { ...current.metadata?.labels, [name2]: "updated" } };
      return storage.replaceCSIDriver({ name: name2, body: current });
    });
    assert.match(updated.metadata?.labels?.[name2] ?? "", /updated/);
    assert.equal((await storage.listCSIDriver({ labelSelector: selector })).items.length, 2);

    await storage.deleteCSIDriver({ name: name1 });
    await deletedOrDeleting(() => storage.readCSIDriver({ name: name1 }));
    await storage.deleteCollectionCSIDriver({ labelSelector: `${name2}=updated` });
    await deletedOrDeleting(() => storage.readCSIDriver({ name: name2 }));
  });
});
