// syncSnapshot called directly on informer caches of the in-process apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { VolumeSnapshotAsSourceFinalizer } from "../../api/wellknown.js";
import { createEventRecorder } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { syncSnapshot } from "./sync.js";

test("a snapshot of a claim that does not exist is not ready, and says why in status.error and an event", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  await client.volumeSnapshots.create({
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "snap", namespace: "default", finalizers: [VolumeSnapshotAsSourceFinalizer] },
    spec: { source: { persistentVolumeClaimName: "missing" } },
  });
  const informers = await syncedInformers(t, client, (f) => [
    f.volumeSnapshots,
    f.volumeSnapshotContents,
    f.volumeSnapshotClasses,
    f.persistentVolumeClaims,
    f.persistentVolumes,
  ]);
  const recorder = createEventRecorder(client.events, { component: "snapshot-controller", log: () => undefined });
  const ctx = {
    client,
    snapshots: informers.volumeSnapshots,
    contents: informers.volumeSnapshotContents,
    classes: informers.volumeSnapshotClasses,
    claims: informers.persistentVolumeClaims,
    volumes: informers.persistentVolumes,
    recorder,
  };
  await syncSnapshot(ctx, "default/snap");
  await recorder.flush();

  const message =
    'failed to get input parameters to create snapshot snap: "PersistentVolumeClaim \\"missing\\" not found"';
  const snapshot = await client.volumeSnapshots.get("default", "snap");
  assert.equal(snapshot.status?.readyToUse, false);
  assert.equal(snapshot.status?.error?.message, message);
  const events = (await client.events.list({ namespace: "default" })).items;
  assert.ok(events.some((e) => e.type === "Warning" && e.reason === "SnapshotCreationFailed" && e.message === message));
  assert.deepEqual((await client.volumeSnapshotContents.list()).items, [], "no content for a snapshot of nothing");
});
