// A driver killed in the middle of CreateVolume (SIGKILL: no cleanup, like a power cut) and restarted must leave
// exactly one volume once the CO retries, and nothing behind if it never does: no duplicate, no leaked file.
// The crash points are real process deaths at named steps (STOWAGE_CSI_BLOCK_CRASH_AT), so the test is exact.
import assert from "node:assert/strict";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { CsiError } from "../../errors.js";
import { MiB, mountCapability, testDir } from "./testing/harness.js";
import { spawnDriver } from "./testing/process.js";

const createRequest = {
  name: "pvc-crash",
  capacity_range: { required_bytes: 64 * MiB },
  volume_capabilities: [mountCapability()],
};

for (const crashAt of ["create-after-record", "create-after-allocate"]) {
  test(`a driver killed mid-CreateVolume (${crashAt}) and restarted leaves one volume, no duplicate or leak`, async (t) => {
    const dir = await testDir(t);
    const volumesDir = join(dir, "state", "volumes");

    const first = await spawnDriver(t, dir, { env: { STOWAGE_CSI_BLOCK_CRASH_AT: crashAt } });
    await assert.rejects(first.client.controller.CreateVolume(createRequest), CsiError);
    assert.equal(await first.exited, "SIGKILL");
    const leftBehind = await readdir(volumesDir);
    assert.equal(
      leftBehind.filter((f) => f.endsWith(".json")).length,
      1,
      `a record of the half-made volume: ${leftBehind}`,
    );
    if (crashAt === "create-after-allocate") {
      assert.ok(
        leftBehind.some((f) => f.includes(".img.tmp-")),
        `the backing file was being written: ${leftBehind}`,
      );
    }

    const second = await spawnDriver(t, dir);
    // The half-made volume is not offered to anyone as if it were usable.
    assert.deepEqual((await second.client.controller.ListVolumes({})).entries, []);
    // The startup sweep removed the dead process's temp file; the record waits for the retry.
    assert.deepEqual(
      (await readdir(volumesDir)).filter((f) => f.includes(".tmp-")),
      [],
      "no temp file survives a restart",
    );

    // The CO retries CreateVolume with the same name, as external-provisioner does until it succeeds.
    const retried = await second.client.controller.CreateVolume(createRequest);
    const again = await second.client.controller.CreateVolume(createRequest);
    assert.equal(again.volume?.volume_id, retried.volume?.volume_id);
    assert.equal(retried.volume?.capacity_bytes, 64 * MiB);
    const listed = await second.client.controller.ListVolumes({});
    assert.deepEqual(
      listed.entries.map((e) => e.volume?.volume_id),
      [retried.volume?.volume_id],
    );
    const id = retried.volume!.volume_id;
    assert.deepEqual((await readdir(volumesDir)).sort(), [`${id}.img`, `${id}.json`]);

    await second.client.controller.DeleteVolume({ volume_id: id });
    assert.deepEqual(await readdir(volumesDir), [], "DeleteVolume leaves nothing behind");
  });
}
