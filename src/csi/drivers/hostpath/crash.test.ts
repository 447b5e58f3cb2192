// A driver killed (SIGKILL: no cleanup, no flush) in the middle of a burst of CreateVolume calls, then restarted,
// must converge: every name the provisioner retries maps to exactly one volume, the ids handed out before the
// crash are still the ones returned, and nothing half-made stays on disk.
import assert from "node:assert/strict";
import { readdir, rmdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { CsiClient } from "../../client.js";
import { CsiError } from "../../errors.js";
import type { VolumeCapability } from "../../generated/csi/v1/VolumeCapability.js";
import { kill, spawnHostpath, startHostpath, tempDriverDir } from "./testing/driver.js";

const rwo: VolumeCapability = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } };
const names = Array.from({ length: 80 }, (_, i) => `pvc-${String(i).padStart(3, "0")}`);

test(
  "a driver killed mid-CreateVolume and restarted leaves no duplicate or leaked volume",
  { timeout: 60_000 },
  async (t) => {
    const paths = await tempDriverDir(t);
    let child = await spawnHostpath(paths);
    t.after(() => kill(child, "SIGKILL"));
    let client = await CsiClient.connect(paths.endpoint, { readyTimeoutMs: 10_000 });

    // Seed a volume with files so that clones (cp -a) are slow enough to be caught half-done.
    const { volume: seed } = await client.controller.CreateVolume({
      name: "seed",
      volume_capabilities: [rwo],
      capacity_range: { required_bytes: 1 << 20 },
    });
    assert.ok(seed);
    const seedDir = join(paths.stateDir, "volumes", seed.volume_id);
    for (let i = 0; i < 150; i++) await writeFile(join(seedDir, `file-${i}`), `content ${i}\n`);

    const before = new Map<string, string>();
    let answered = 0;
    let killed: Promise<void> | undefined;
    const create = (name: string, c: CsiClient) =>
      c.controller.CreateVolume({
        name,
        volume_capabilities: [rwo],
        capacity_range: { required_bytes: 1 << 20 },
        // Every third is a clone: a longer window with work in tmp/.
        ...(Number(name.slice(-3)) % 3 === 0
          ? { volume_content_source: { volume: { volume_id: seed.volume_id } } }
          : {}),
      });
    // 16 callers, like the provisioner's workers; kill the driver after the 30th answer, with calls still in flight.
    const queue = [...names];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let name = queue.shift(); name; name = queue.shift()) {
          try {
            const { volume } = await create(name, client);
            before.set(name, volume!.volume_id);
            if (++answered === 30) killed = kill(child, "SIGKILL");
          } catch (err) {
            if (!(err instanceof CsiError)) throw err;
            // UNAVAILABLE / CANCELLED once the driver is gone: the provisioner would retry these later.
          }
        }
      }),
    );
    await killed;
    client.close();
    assert.ok(before.size >= 30 && before.size < names.length, `the kill landed mid-burst (${before.size} answered)`);

    child = await spawnHostpath(paths);
    client = await CsiClient.connect(paths.endpoint, { readyTimeoutMs: 10_000 });
    t.after(() => client.close());

    // The provisioner retries every name it has not seen succeed, and may retry the ones it has.
    const after = new Map<string, string>();
    for (const name of names) {
      const { volume } = await create(name, client);
      after.set(name, volume!.volume_id);
    }
    for (const [name, id] of before)
      assert.equal(after.get(name), id, `${name} kept the id it was given before the crash`);

    const ids = new Set(after.values());
    assert.equal(ids.size, names.length, "one volume per name");
    const listed = (await client.controller.ListVolumes({})).entries.map((e) => e.volume!.volume_id);
    assert.deepEqual(listed.sort(), [...ids, seed.volume_id].sort(), "ListVolumes shows exactly those volumes");
    const onDisk = await readdir(join(paths.stateDir, "volumes"));
    assert.deepEqual(onDisk.sort(), [...ids, seed.volume_id].sort(), "no directory without a volume, none missing");
    assert.deepEqual(await readdir(join(paths.stateDir, "tmp")), [], "no half-made work left in tmp/");

    // Deleting everything leaves nothing behind either.
    for (const id of listed) await client.controller.DeleteVolume({ volume_id: id });
    assert.deepEqual(await readdir(join(paths.stateDir, "volumes")), []);
    await kill(child, "SIGTERM");
  },
);

test("a record whose empty directory a crash cut off gets the directory at the next start; a copied volume's does not", async (t) => {
  // CreateVolume writes an empty volume's directory and its record at once (and DeleteVolume both ways), so a kill
  // between the two can leave the record alone: made here by removing the directories of a stopped driver.
  const d = await startHostpath(t);
  const create = async (name: string, source?: string) =>
    (
      await d.client.controller.CreateVolume({
        name,
        volume_capabilities: [rwo],
        ...(source ? { volume_content_source: { volume: { volume_id: source } } } : {}),
      })
    ).volume!.volume_id;
  const empty = await create("empty");
  const copy = await create("copy", empty);
  await d.driver.stop();
  for (const id of [empty, copy]) await rmdir(join(d.stateDir, "volumes", id));
  await d.restart();

  assert.equal(await create("empty"), empty, "the retried CreateVolume gets the volume it was cut off from");
  assert.ok((await stat(join(d.stateDir, "volumes", empty))).isDirectory(), "the empty directory is there again");
  assert.ok(d.logs.some((line) => line.includes(`made missing empty ${join(d.stateDir, "volumes", empty)}`)));
  // A copy's data cannot be made again: it stays missing, and says so, rather than coming back empty.
  const { status } = await d.client.controller.ControllerGetVolume({ volume_id: copy });
  assert.equal(status?.volume_condition?.abnormal, true);
  await assert.rejects(stat(join(d.stateDir, "volumes", copy)), { code: "ENOENT" });
});
