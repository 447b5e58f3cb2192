// Inline (ephemeral) volumes as csi-driver-host-path serves them: NodePublishVolume with
// csi.storage.k8s.io/ephemeral=true makes the volume (no CreateVolume, no staging) and its NodeUnpublishVolume
// deletes it.
import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { CsiError } from "../../errors.js";
import type { VolumeCapability } from "../../generated/csi/v1/VolumeCapability.js";
import { startHostpath } from "./testing/driver.js";

const rwo: VolumeCapability = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } };
const ephemeral = { "csi.storage.k8s.io/ephemeral": "true" };

test("an inline volume is made by its publish, sized by its size attribute, and deleted by its unpublish, even after a restart", async (t) => {
  const d = await startHostpath(t);
  const target = join(d.dir, "pods", "p1", "mount");
  const publish = () =>
    d.client.node.NodePublishVolume({
      volume_id: "csi-0123abcd",
      target_path: target,
      volume_capability: rwo,
      volume_context: { ...ephemeral, size: "10Mi" },
    });
  await publish();
  await publish(); // a retry finds the volume made and mounted
  await writeFile(join(target, "data"), "inline");
  const { entries } = await d.client.controller.ListVolumes({});
  assert.deepEqual(
    entries.map((e) => [e.volume?.volume_id, e.volume?.capacity_bytes]),
    [["csi-0123abcd", 10 * 1024 * 1024]],
  );
  // A restarted driver still knows the volume is inline, so its unpublish still deletes it.
  await d.restart();
  await d.client.node.NodeUnpublishVolume({ volume_id: "csi-0123abcd", target_path: target });
  assert.deepEqual((await d.client.controller.ListVolumes({})).entries, []);
  assert.deepEqual(await readdir(join(d.stateDir, "volumes")), []);
});

test("an inline volume with a bad size or id is refused with INVALID_ARGUMENT, and nothing is made", async (t) => {
  const d = await startHostpath(t);
  const target = join(d.dir, "pods", "p1", "mount");
  for (const [volume_id, context, message] of [
    ["csi-1", { ...ephemeral, size: "lots" }, /volume_context\.size: "lots" is not a positive quantity/],
    ["../escape", ephemeral, /volume_id: "\.\.\/escape" is not a valid inline volume id/],
  ] as const) {
    await assert.rejects(
      d.client.node.NodePublishVolume({
        volume_id,
        target_path: target,
        volume_capability: rwo,
        volume_context: context,
      }),
      (err: unknown) => err instanceof CsiError && err.codeName === "INVALID_ARGUMENT" && message.test(err.message),
    );
  }
  assert.deepEqual((await d.client.controller.ListVolumes({})).entries, []);
});
