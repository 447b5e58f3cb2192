// Expansion as a user sees it: `kubectl patch` a claim bigger, and df inside the pod shows the new size without
// the pod restarting. ControllerExpandVolume grows the backing file; NodeExpandVolume makes the loop device and
// the mounted ext4 filesystem follow.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import {
  createAndMount,
  dfBytes,
  loopDevicesUnder,
  MiB,
  mountCapability,
  mountsUnder,
  startTestDriver,
  testDir,
  unmountAndDelete,
} from "./testing/harness.js";

test("expansion grows a mounted ext4 filesystem: df shows the new size and the files stay", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const volume = await createAndMount(driver, dir, "grow", { bytes: 64 * MiB });
  await writeFile(join(volume.target, "before.txt"), "written at 64Mi\n");
  const before = await dfBytes(volume.target);
  assert.ok(before > 50 * MiB && before <= 64 * MiB, `df before: ${before}`);

  const expanded = await client.controller.ControllerExpandVolume({
    volume_id: volume.volumeId,
    capacity_range: { required_bytes: 200 * MiB },
  });
  assert.equal(expanded.capacity_bytes, 200 * MiB);
  assert.equal(expanded.node_expansion_required, true);
  // Until the node expands, the mounted filesystem keeps its size.
  assert.equal(await dfBytes(volume.target), before);

  for (let i = 0; i < 2; i++) {
    const node = await client.node.NodeExpandVolume({
      volume_id: volume.volumeId,
      volume_path: volume.target,
      staging_target_path: volume.staging,
      capacity_range: { required_bytes: 200 * MiB },
      volume_capability: mountCapability(),
    });
    assert.equal(node.capacity_bytes, 200 * MiB);
  }
  const after = await dfBytes(volume.target);
  assert.ok(after > 180 * MiB && after <= 200 * MiB, `df after: ${after}`);
  assert.equal(await readFile(join(volume.target, "before.txt"), "utf8"), "written at 64Mi\n");
  // Still published at the same path, writable, and the stats agree with df.
  await writeFile(join(volume.target, "after.txt"), "written at 200Mi\n");
  const stats = await client.node.NodeGetVolumeStats({ volume_id: volume.volumeId, volume_path: volume.target });
  assert.equal(stats.usage.find((u) => u.unit === "BYTES")?.total, after);
  const got = await client.controller.ControllerGetVolume({ volume_id: volume.volumeId });
  assert.equal(got.volume?.capacity_bytes, 200 * MiB);

  await unmountAndDelete(driver, volume);
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});

test("a volume expanded while not staged comes back at its new size on the next stage", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const volume = await createAndMount(driver, dir, "offline", { bytes: 64 * MiB });
  await writeFile(join(volume.target, "keep.txt"), "kept\n");
  await client.node.NodeUnpublishVolume({ volume_id: volume.volumeId, target_path: volume.target });
  await client.node.NodeUnstageVolume({ volume_id: volume.volumeId, staging_target_path: volume.staging });
  await client.controller.ControllerExpandVolume({
    volume_id: volume.volumeId,
    capacity_range: { required_bytes: 128 * MiB },
  });

  await client.node.NodeStageVolume({
    volume_id: volume.volumeId,
    staging_target_path: volume.staging,
    volume_capability: mountCapability(),
    publish_context: volume.publishContext,
  });
  const size = await dfBytes(volume.staging);
  assert.ok(size > 110 * MiB && size <= 128 * MiB, `df after restage: ${size}`);
  assert.equal(await readFile(join(volume.staging, "keep.txt"), "utf8"), "kept\n");
  await client.node.NodeUnstageVolume({ volume_id: volume.volumeId, staging_target_path: volume.staging });
  await client.controller.ControllerUnpublishVolume({ volume_id: volume.volumeId, node_id: driver.nodeId });
  await client.controller.DeleteVolume({ volume_id: volume.volumeId });
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});
