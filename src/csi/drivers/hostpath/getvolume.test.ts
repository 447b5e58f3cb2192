// ControllerGetVolume as the CSI spec asks (GET_VOLUME + VOLUME_CONDITION): a volume the driver made is described
// with its condition, an id it never made is NOT_FOUND, and a volume whose directory went away behind the driver's
// back (its record still there) is abnormal with a message that says so: what the health monitor reports.
import assert from "node:assert/strict";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import { startHostpath } from "./testing/driver.js";

const rwo = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" as const } };

test("the hostpath driver advertises GET_VOLUME and VOLUME_CONDITION", async (t) => {
  const d = await startHostpath(t);
  const capabilities = await d.client.controllerCapabilities();
  assert.ok(capabilities.has("GET_VOLUME") && capabilities.has("VOLUME_CONDITION"));
});

test("ControllerGetVolume describes a healthy volume, and answers NOT_FOUND for an id the driver never made", async (t) => {
  const d = await startHostpath(t);
  const { volume } = await d.client.controller.CreateVolume({ name: "data", volume_capabilities: [rwo] });
  const got = await d.client.controller.ControllerGetVolume({ volume_id: volume!.volume_id });
  assert.equal(got.volume?.volume_id, volume!.volume_id);
  assert.equal(got.volume?.capacity_bytes, volume!.capacity_bytes);
  assert.deepEqual(got.status?.volume_condition, { abnormal: false, message: "volume is healthy" });
  await assert.rejects(d.client.controller.ControllerGetVolume({ volume_id: "no-such-volume" }), (err: unknown) => {
    assert.ok(err instanceof CsiError);
    assert.equal(err.code, Code.NOT_FOUND);
    assert.match(err.message, /no-such-volume not found/);
    return true;
  });
});

test("a volume whose directory was removed behind the driver's back is abnormal, naming the missing directory", async (t) => {
  const d = await startHostpath(t);
  const { volume } = await d.client.controller.CreateVolume({ name: "gone", volume_capabilities: [rwo] });
  const id = volume!.volume_id;
  const dir = join(d.stateDir, "volumes", id);
  await rm(dir, { recursive: true });
  const got = await d.client.controller.ControllerGetVolume({ volume_id: id });
  assert.equal(got.status?.volume_condition?.abnormal, true);
  assert.equal(got.status?.volume_condition?.message, `volume ${id}: its directory ${dir} is missing`);
  // ListVolumes says the same of it (the health monitor's other path).
  const listed = (await d.client.controller.ListVolumes({})).entries.find((e) => e.volume?.volume_id === id);
  assert.deepEqual(listed?.status?.volume_condition, got.status?.volume_condition);
});
