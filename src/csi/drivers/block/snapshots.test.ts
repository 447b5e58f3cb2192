// Snapshot → restore and clone, as a user checks them: the new volume holds the source's files as they were
// when the snapshot was taken (later writes are not in it), and may be bigger than its source.
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
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

test("a volume restored from a snapshot and a clone contain the source's files", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const source = await createAndMount(driver, dir, "source", { bytes: 64 * MiB });
  await writeFile(join(source.target, "before-snapshot.txt"), "in the snapshot\n");

  const { snapshot } = await client.controller.CreateSnapshot({ name: "snap-1", source_volume_id: source.volumeId });
  assert.equal(snapshot?.ready_to_use, true);
  assert.equal(snapshot?.size_bytes, 64 * MiB);
  assert.equal(snapshot?.source_volume_id, source.volumeId);
  await writeFile(join(source.target, "after-snapshot.txt"), "only in the source and its clone\n");

  // Restore into a bigger volume: the filesystem grows to fill it when staged.
  const restored = await createAndMount(driver, dir, "restored", {
    bytes: 128 * MiB,
    source: { snapshot_id: snapshot!.snapshot_id },
  });
  assert.deepEqual(
    (await readdir(restored.target)).filter((f) => f.endsWith(".txt")),
    ["before-snapshot.txt"],
  );
  assert.equal(await readFile(join(restored.target, "before-snapshot.txt"), "utf8"), "in the snapshot\n");
  const size = await dfBytes(restored.target);
  assert.ok(size > 110 * MiB, `restored volume's filesystem fills its 128Mi: ${size}`);

  const clone = await createAndMount(driver, dir, "clone", { source: { volume_id: source.volumeId } });
  assert.deepEqual((await readdir(clone.target)).filter((f) => f.endsWith(".txt")).sort(), [
    "after-snapshot.txt",
    "before-snapshot.txt",
  ]);
  const got = await client.controller.ControllerGetVolume({ volume_id: clone.volumeId });
  assert.equal(got.volume?.content_source?.volume?.volume_id, source.volumeId);

  // The copies are independent: writing to the clone does not touch the source.
  await writeFile(join(clone.target, "clone-only.txt"), "x");
  assert.equal((await readdir(source.target)).includes("clone-only.txt"), false);

  // A restore smaller than its snapshot is OUT_OF_RANGE; an unknown snapshot NOT_FOUND.
  for (const [request, code] of [
    [{ name: "small", capacity_range: { required_bytes: 32 * MiB, limit_bytes: 32 * MiB } }, Code.OUT_OF_RANGE],
    [
      { name: "ghost", volume_content_source: { snapshot: { snapshot_id: "snap-000000000000000000000000" } } },
      Code.NOT_FOUND,
    ],
  ] as const) {
    await assert.rejects(
      client.controller.CreateVolume({
        volume_content_source: { snapshot: { snapshot_id: snapshot!.snapshot_id } },
        ...request,
        volume_capabilities: [mountCapability()],
      }),
      (err: unknown) => err instanceof CsiError && err.code === code,
    );
  }

  for (const volume of [clone, restored, source]) await unmountAndDelete(driver, volume);
  await client.controller.DeleteSnapshot({ snapshot_id: snapshot!.snapshot_id });
  assert.deepEqual((await client.controller.ListSnapshots({})).entries, []);
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});
