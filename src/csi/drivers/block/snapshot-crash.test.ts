// A snapshot is copied with the volume's filesystem frozen (fsfreeze), so a file being written comes back whole. A
// driver killed while it holds the freeze must not leave the pod's filesystem frozen for ever: the restarted driver
// thaws it, and the CO's retried CreateSnapshot completes. The crash is a real SIGKILL (STOWAGE_CSI_BLOCK_CRASH_AT).
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { CsiError } from "../../errors.js";
import { createAndMount, loopDevicesUnder, MiB, mountsUnder, testDir } from "./testing/harness.js";
import { spawnDriver } from "./testing/process.js";

/** Resolves with the write's outcome, or "blocked" when the filesystem still holds writers back after `ms`. */
function writeWithin(path: string, data: string, ms: number): Promise<"written" | "blocked"> {
  let timer: NodeJS.Timeout | undefined;
  const blocked = new Promise<"blocked">((resolve) => (timer = setTimeout(() => resolve("blocked"), ms)));
  const written = writeFile(path, data).then(() => "written" as const);
  return Promise.race([written, blocked]).finally(() => clearTimeout(timer));
}

test("a driver killed while a snapshot holds the filesystem frozen thaws it when it restarts", async (t) => {
  const dir = await testDir(t);
  const first = await spawnDriver(t, dir, { env: { STOWAGE_CSI_BLOCK_CRASH_AT: "frozen" } });
  const { volumeId, staging, target } = await createAndMount(
    { client: first.client, nodeId: "node-1" },
    dir,
    "freeze-crash",
    {
      bytes: 32 * MiB,
    },
  );
  await writeFile(join(target, "before.txt"), "before the snapshot\n");

  const snapshot = { source_volume_id: volumeId, name: "frozen-snap" };
  await assert.rejects(first.client.controller.CreateSnapshot(snapshot), CsiError);
  assert.equal(await first.exited, "SIGKILL");

  const second = await spawnDriver(t, dir);
  // A thawed filesystem takes the write at once; a frozen one would hold it until thawed.
  assert.equal(await writeWithin(join(target, "after.txt"), "after the restart\n", 30_000), "written");
  const retried = await second.client.controller.CreateSnapshot(snapshot);
  assert.equal(retried.snapshot?.ready_to_use, true);
  assert.equal(await readFile(join(target, "before.txt"), "utf8"), "before the snapshot\n");

  await second.client.node.NodeUnpublishVolume({ volume_id: volumeId, target_path: target });
  await second.client.node.NodeUnstageVolume({ volume_id: volumeId, staging_target_path: staging });
  await second.client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: "node-1" });
  await second.client.controller.DeleteSnapshot({ snapshot_id: retried.snapshot!.snapshot_id });
  await second.client.controller.DeleteVolume({ volume_id: volumeId });
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});
