// Loop devices: a volume's sparse backing file becomes a block device, the way a cloud disk appears on a node.
// The kernel is the record of what is attached: `losetup -j FILE` finds an existing device for a backing file,
// so attaching is idempotent and a restarted driver never attaches the same file twice.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { run } from "./exec.js";

/** The loop devices currently backed by `file` (normally zero or one), e.g. ["/dev/loop3"]. */
export async function loopDevicesFor(file: string): Promise<string[]> {
  const { stdout } = await run("losetup", ["--noheadings", "--output", "NAME", "--associated", file]);
  return stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith("/dev/"));
}

/** Attaches `file` to a free loop device, or returns the device it is already attached to. */
export async function attachLoop(file: string): Promise<string> {
  const existing = await loopDevicesFor(file);
  if (existing.length > 0) return existing[0];
  // Buffered I/O (--direct-io=off): the backing file lives on whatever filesystem holds the state dir, which
  // may not support O_DIRECT at the loop device's block size.
  const { stdout } = await run("losetup", ["--find", "--show", "--direct-io=off", file]);
  const device = stdout.trim();
  if (!device.startsWith("/dev/")) throw new Error(`losetup --find --show ${file} printed ${JSON.stringify(stdout)}`);
  return device;
}

/** Detaches every loop device backed by `file`. Safe to repeat; a device still mounted is cleared on last close. */
export async function detachLoop(file: string): Promise<void> {
  for (const device of await loopDevicesFor(file)) {
    await run("losetup", ["--detach", device]);
  }
  // A device someone holds open for a moment (udev's probe after a change, a blkid elsewhere) is only marked to
  // clear on its last close: wait for that, briefly, so "detached" means the disk is gone from this node.
  const deadline = Date.now() + detachWaitMs;
  while ((await loopDevicesFor(file)).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const detachWaitMs = 5_000;

/** Makes the kernel re-read the backing file's size after it grew (`losetup -c`). */
export async function refreshLoopCapacity(device: string): Promise<void> {
  await run("losetup", ["--set-capacity", device]);
}

/** The size the kernel currently sees for a block device, in bytes (sysfs counts 512-byte sectors). */
export async function blockDeviceSize(device: string): Promise<number> {
  const sectors = await readFile(`/sys/class/block/${basename(device)}/size`, "utf8");
  return Number(sectors.trim()) * 512;
}
