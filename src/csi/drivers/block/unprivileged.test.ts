// Without root the block driver cannot attach loop devices or mount. It says so at startup and refuses Node
// calls with FAILED_PRECONDITION and that explanation, instead of pretending; the Controller side (files) works.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { CsiError } from "../../errors.js";
import { MiB, mountCapability, testDir } from "./testing/harness.js";
import { spawnDriver } from "./testing/process.js";

test("started without root, the block driver says so and refuses to stage instead of pretending", async (t) => {
  const dir = await testDir(t);
  const driver = await spawnDriver(t, dir, { unprivileged: true });
  assert.match(driver.stderr(), /WARNING: the block driver needs root \(CAP_SYS_ADMIN\) for loop devices and mounts/);

  const { client } = driver;
  const created = await client.controller.CreateVolume({
    name: "unprivileged",
    capacity_range: { required_bytes: 16 * MiB },
    volume_capabilities: [mountCapability()],
  });
  const volumeId = created.volume!.volume_id;
  const { publish_context } = await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: "node-1",
    volume_capability: mountCapability(),
  });
  await assert.rejects(
    client.node.NodeStageVolume({
      volume_id: volumeId,
      staging_target_path: join(dir, "staging"),
      volume_capability: mountCapability(),
      publish_context,
    }),
    (err: unknown) =>
      err instanceof CsiError && err.codeName === "FAILED_PRECONDITION" && /needs root/.test(err.message),
  );
  await client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: "node-1" });
  await client.controller.DeleteVolume({ volume_id: volumeId });
});
