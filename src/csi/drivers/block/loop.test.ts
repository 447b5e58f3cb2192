// Loop devices and filesystems with the real tools (root): attach is idempotent across calls (and restarts, since
// the kernel is asked, not a memory), a filesystem is detected so it is never remade, and growth is seen.
import assert from "node:assert/strict";
import { mkdir, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { detectFilesystem, growUnmountedExtFilesystem, makeFilesystem } from "./filesystem.js";
import { attachLoop, blockDeviceSize, detachLoop, loopDevicesFor, refreshLoopCapacity } from "./loop.js";
import { bindMount, isMountPoint, mountDevice, mountsOfDevice, unmountAll } from "./mount.js";
import { dfBytes, loopDevicesUnder, MiB, mountsUnder, testDir } from "./testing/harness.js";

test("attaching a backing file twice returns the same loop device, and detach releases it", async (t) => {
  const dir = await testDir(t);
  const file = join(dir, "disk.img");
  await writeFile(file, "");
  await truncate(file, 32 * MiB);
  const device = await attachLoop(file);
  assert.match(device, /^\/dev\/loop\d+$/);
  assert.equal(await attachLoop(file), device);
  assert.deepEqual(await loopDevicesFor(file), [device]);
  assert.equal(await blockDeviceSize(device), 32 * MiB);

  await truncate(file, 48 * MiB);
  await refreshLoopCapacity(device);
  assert.equal(await blockDeviceSize(device), 48 * MiB);

  await detachLoop(file);
  await detachLoop(file); // again: nothing attached is already done
  assert.deepEqual(await loopDevicesFor(file), []);
  assert.deepEqual(await loopDevicesUnder(dir), []);
});

test("an empty device has no filesystem; a formatted one is detected and mounts, binds and grows", async (t) => {
  const dir = await testDir(t);
  const file = join(dir, "disk.img");
  await writeFile(file, "");
  await truncate(file, 32 * MiB);
  const device = await attachLoop(file);
  assert.equal(await detectFilesystem(device), undefined);
  await makeFilesystem(device, "ext4");
  assert.equal(await detectFilesystem(device), "ext4");

  const mnt = join(dir, "mnt");
  const bind = join(dir, "bind");
  await mkdir(mnt);
  await mkdir(bind);
  await mountDevice(device, mnt, "ext4", []);
  await bindMount(mnt, bind, true);
  assert.equal(await isMountPoint(mnt), true);
  assert.deepEqual(
    (await mountsOfDevice(device)).map((m) => [m.target, m.vfsOptions.includes("ro")]),
    [
      [mnt, false],
      [bind, true],
    ],
  );
  await assert.rejects(writeFile(join(bind, "x"), "x"), /EROFS/);
  await unmountAll(bind);
  await unmountAll(mnt);
  await unmountAll(join(dir, "never-mounted"));
  assert.equal(await isMountPoint(mnt), false);

  await truncate(file, 64 * MiB);
  await refreshLoopCapacity(device);
  await growUnmountedExtFilesystem(device);
  await mountDevice(device, mnt, "ext4", []);
  assert.ok((await dfBytes(mnt)) > 48 * MiB, "the filesystem grew from 32Mi to about 64Mi");
  await unmountAll(mnt);
  await detachLoop(file);
  assert.deepEqual(await mountsUnder(dir), []);
  assert.deepEqual(await loopDevicesUnder(dir), []);
});
