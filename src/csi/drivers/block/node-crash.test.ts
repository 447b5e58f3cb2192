// A driver killed in the middle of a Node call and restarted converges: a volume formatted just before the crash
// is not formatted again, and mounts taken down to grow a filesystem offline are put back at startup, so a pod's
// target never stays silently unmounted. The crashes are real SIGKILLs at named steps (STOWAGE_CSI_BLOCK_CRASH_AT).
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { CsiError } from "../../errors.js";
import { isMountPoint } from "./mount.js";
import { dfBytes, loopDevicesUnder, MiB, mountCapability, mountsUnder, output, testDir } from "./testing/harness.js";
import { spawnDriver } from "./testing/process.js";

test("a driver killed right after formatting does not format again when NodeStage is retried", async (t) => {
  const dir = await testDir(t);
  const first = await spawnDriver(t, dir, { env: { STOWAGE_CSI_BLOCK_CRASH_AT: "stage-after-format" } });
  const { volume } = await first.client.controller.CreateVolume({
    name: "stage-crash",
    capacity_range: { required_bytes: 32 * MiB },
    volume_capabilities: [mountCapability()],
  });
  const volumeId = volume!.volume_id;
  const { publish_context } = await first.client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: "node-1",
    volume_capability: mountCapability(),
  });
  const staging = join(dir, "staging");
  const stage = {
    volume_id: volumeId,
    staging_target_path: staging,
    volume_capability: mountCapability(),
    publish_context,
  };
  await assert.rejects(first.client.node.NodeStageVolume(stage), CsiError);
  assert.equal(await first.exited, "SIGKILL");
  const [loop] = await loopDevicesUnder(dir);
  const uuid = (await output("blkid", ["-p", "-s", "UUID", "-o", "value", loop.name])).trim();
  assert.ok(uuid, "the crash came after mkfs");

  const second = await spawnDriver(t, dir);
  await second.client.node.NodeStageVolume(stage);
  assert.equal((await output("blkid", ["-p", "-s", "UUID", "-o", "value", loop.name])).trim(), uuid, "not reformatted");
  assert.deepEqual(
    (await loopDevicesUnder(dir)).map((d) => d.name),
    [loop.name],
    "the retry reused the loop device the crashed driver attached",
  );
  await second.client.node.NodeUnstageVolume({ volume_id: volumeId, staging_target_path: staging });
  await second.client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: "node-1" });
  await second.client.controller.DeleteVolume({ volume_id: volumeId });
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});

test("mounts taken down for an offline grow are put back when a killed driver restarts", async (t) => {
  const dir = await testDir(t);
  const first = await spawnDriver(t, dir, { env: { STOWAGE_CSI_BLOCK_CRASH_AT: "expand-after-unmount" } });
  const { client } = first;
  const { volume } = await client.controller.CreateVolume({
    name: "expand-crash",
    capacity_range: { required_bytes: 64 * MiB },
    volume_capabilities: [mountCapability()],
  });
  const volumeId = volume!.volume_id;
  const { publish_context } = await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: "node-1",
    volume_capability: mountCapability(),
  });
  const staging = join(dir, "staging");
  const target = join(dir, "target");
  await client.node.NodeStageVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    volume_capability: mountCapability(),
    publish_context,
  });
  await client.node.NodePublishVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    target_path: target,
    volume_capability: mountCapability(),
  });
  await writeFile(join(target, "data.txt"), "survives\n");
  await client.controller.ControllerExpandVolume({
    volume_id: volumeId,
    capacity_range: { required_bytes: 128 * MiB },
  });

  const expand = { volume_id: volumeId, volume_path: target, capacity_range: { required_bytes: 128 * MiB } };
  const crashed = await client.node.NodeExpandVolume(expand).then(
    () => false,
    () => true,
  );
  // With CAP_SYS_RESOURCE the grow is online and never unmounts; the crash point is only reached offline.
  if (!crashed) return t.skip("this machine grows ext4 online: no offline window to crash in");
  assert.equal(await first.exited, "SIGKILL");
  assert.equal(await isMountPoint(target), false, "the crash left the target unmounted");

  const second = await spawnDriver(t, dir);
  assert.match(second.stderr(), /restored the mounts of volume .* after an interrupted expansion/);
  assert.equal(await isMountPoint(staging), true);
  assert.equal(await isMountPoint(target), true);
  assert.equal(await readFile(join(target, "data.txt"), "utf8"), "survives\n");
  assert.ok((await dfBytes(target)) > 110 * MiB, "the filesystem was grown before the mounts came back");
  const retried = await second.client.node.NodeExpandVolume(expand); // the CO's retry: already done
  assert.equal(retried.capacity_bytes, 128 * MiB);

  await second.client.node.NodeUnpublishVolume({ volume_id: volumeId, target_path: target });
  await second.client.node.NodeUnstageVolume({ volume_id: volumeId, staging_target_path: staging });
  await second.client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: "node-1" });
  await second.client.controller.DeleteVolume({ volume_id: volumeId });
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});
