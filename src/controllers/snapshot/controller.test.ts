// The snapshot controller and the csi-snapshotter together against a real apiserver and the real hostpath driver:
// deletionPolicy Retain keeps the content and the driver's snapshot; a snapshot without a class and no default
// class reports upstream's error; a pre-provisioned content (static snapshot) is bound and becomes ready.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../api/snapshot/types.js";
import { createClient, isNotFound, type Client } from "../../client/index.js";
import { eventually, startStowage } from "../../e2e/stowage.js";
import { CsiClient, DRIVER_NAME, startDriver, startSnapshotter } from "../../e2e/parts.js";
import { startSnapshotController } from "./controller.js";

const snapshotOf = (name: string, source: VolumeSnapshot["spec"]["source"], className?: string): VolumeSnapshot => ({
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshot",
  metadata: { name, namespace: "default" },
  spec: { source, ...(className ? { volumeSnapshotClassName: className } : {}) },
});

async function boundClaim(client: Client, csi: CsiClient, name: string): Promise<void> {
  const created = await csi.controller.CreateVolume({
    name,
    capacity_range: { required_bytes: String(1 << 20) },
    volume_capabilities: [{ access_mode: { mode: "SINGLE_NODE_WRITER" }, mount: {} }],
  });
  await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `pv-${name}` },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name },
      csi: { driver: DRIVER_NAME, volumeHandle: created.volume?.volume_id ?? "" },
    },
  });
  const claim = await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Mi" } }, volumeName: `pv-${name}` },
  });
  await client.persistentVolumeClaims.updateStatus({ ...claim, status: { phase: "Bound" } });
}

test("Retain keeps content and driver snapshot; no default class is an error; a pre-provisioned content binds", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-snapshot-controller-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startStowage(t);
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driver = await startDriver({ endpoint, nodeId: "n1", stateDir: join(dir, "state"), log: () => undefined });
  t.after(() => driver.stop());
  const csi = await CsiClient.connect(endpoint);
  t.after(() => csi.close());
  const client = createClient(s.transport());
  const abort = new AbortController();
  const controller = await startSnapshotController({ client, log: () => undefined }, abort.signal);
  const sidecar = await startSnapshotter({ client, csi, signal: abort.signal, log: () => undefined });
  t.after(async () => {
    abort.abort();
    await controller.done;
    await sidecar.stop();
  });
  await boundClaim(client, csi, "data");

  // No class named and no default for the driver: upstream's error in status, no content.
  await client.volumeSnapshots.create(snapshotOf("classless", { persistentVolumeClaimName: "data" }));
  const failed = await eventually(async () => (await client.volumeSnapshots.get("default", "classless")).status?.error);
  assert.equal(failed.message, "Failed to set default snapshot class with error cannot find default snapshot class");
  assert.equal((await client.volumeSnapshotContents.list()).items.length, 0);

  // Retain: deleting the snapshot leaves the content (unprotected) and the driver's snapshot.
  await client.volumeSnapshotClasses.create({
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotClass",
    metadata: { name: "keep" },
    driver: DRIVER_NAME,
    deletionPolicy: "Retain",
  });
  await client.volumeSnapshots.create(snapshotOf("kept", { persistentVolumeClaimName: "data" }, "keep"));
  const ready = await eventually(async () => {
    const snap = await client.volumeSnapshots.get("default", "kept");
    return snap.status?.readyToUse ? snap : undefined;
  });
  assert.equal(ready.status?.restoreSize, "1Mi");
  const contentName = ready.status?.boundVolumeSnapshotContentName ?? "";
  const handle = (await client.volumeSnapshotContents.get(contentName)).status?.snapshotHandle ?? "";
  await client.volumeSnapshots.delete("default", "kept");
  await eventually(async () => {
    try {
      await client.volumeSnapshots.get("default", "kept");
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  });
  const retained = await client.volumeSnapshotContents.get(contentName);
  assert.equal(retained.metadata.deletionTimestamp, undefined);
  assert.deepEqual(retained.metadata.finalizers ?? [], []);
  assert.equal((await csi.controller.ListSnapshots({ snapshot_id: handle })).entries.length, 1);

  // Pre-provisioned: a content naming the driver's snapshot, and a snapshot naming the content.
  const content: VolumeSnapshotContent = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: { name: "imported" },
    spec: {
      volumeSnapshotRef: { kind: "VolumeSnapshot", namespace: "default", name: "imported" },
      deletionPolicy: "Delete",
      driver: DRIVER_NAME,
      source: { snapshotHandle: handle },
    },
  };
  await client.volumeSnapshotContents.create(content);
  await client.volumeSnapshots.create(snapshotOf("imported", { volumeSnapshotContentName: "imported" }));
  const imported = await eventually(async () => {
    const snap = await client.volumeSnapshots.get("default", "imported");
    return snap.status?.readyToUse ? snap : undefined;
  });
  assert.equal(imported.status?.boundVolumeSnapshotContentName, "imported");
  assert.equal(imported.status?.restoreSize, "1Mi");
  const bound = await client.volumeSnapshotContents.get("imported");
  assert.equal(bound.spec.volumeSnapshotRef.uid, imported.metadata.uid);
});
