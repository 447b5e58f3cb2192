// ControllerGetVolume as the CSI spec asks (GET_VOLUME + VOLUME_CONDITION): a volume the driver made is described
// with its condition, an id it never made is NOT_FOUND, and a volume whose backing file went away behind the
// driver's back (its record still there) is abnormal with a message that says so: what the health monitor reports.
import assert from "node:assert/strict";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import { MiB, mountCapability, startTestDriver, testDir } from "./testing/harness.js";

test("the block driver advertises GET_VOLUME and VOLUME_CONDITION", async (t) => {
  const { client } = await startTestDriver(t, await testDir(t));
  const capabilities = await client.controllerCapabilities();
  assert.ok(capabilities.has("GET_VOLUME") && capabilities.has("VOLUME_CONDITION"));
});

test("ControllerGetVolume describes a healthy disk, and answers NOT_FOUND for an id the driver never made", async (t) => {
  const { client } = await startTestDriver(t, await testDir(t));
  const { volume } = await client.controller.CreateVolume({
    name: "data",
    capacity_range: { required_bytes: 16 * MiB },
    volume_capabilities: [mountCapability()],
  });
  const got = await client.controller.ControllerGetVolume({ volume_id: volume!.volume_id });
  assert.equal(got.volume?.volume_id, volume!.volume_id);
  assert.equal(got.volume?.capacity_bytes, 16 * MiB);
  assert.deepEqual(got.status?.volume_condition, { abnormal: false, message: "volume is healthy" });
  await assert.rejects(client.controller.ControllerGetVolume({ volume_id: "no-such-volume" }), (err: unknown) => {
    assert.ok(err instanceof CsiError);
    assert.equal(err.code, Code.NOT_FOUND);
    assert.match(err.message, /no-such-volume.* not found/);
    return true;
  });
});

test("a disk whose backing file was removed behind the driver's back is abnormal", async (t) => {
  const dir = await testDir(t);
  const { client } = await startTestDriver(t, dir);
  const { volume } = await client.controller.CreateVolume({
    name: "gone",
    capacity_range: { required_bytes: 16 * MiB },
    volume_capabilities: [mountCapability()],
  });
  const id = volume!.volume_id;
  const files = (await readdir(join(dir, "state"), { recursive: true })).filter((f) => f.endsWith(`${id}.img`));
  assert.equal(files.length, 1, `one backing file for ${id}: ${files.join(", ")}`);
  await rm(join(dir, "state", files[0]));
  const got = await client.controller.ControllerGetVolume({ volume_id: id });
  assert.deepEqual(got.status?.volume_condition, { abnormal: true, message: "the volume's backing file is missing" });
  // ListVolumes says the same of it (the health monitor's other path).
  const listed = (await client.controller.ListVolumes({})).entries.find((e) => e.volume?.volume_id === id);
  assert.deepEqual(listed?.status?.volume_condition, got.status?.volume_condition);
});
