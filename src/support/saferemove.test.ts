// Removing a tree as root, attacked: a directory swapped for a symlink to the outside while the removal runs
// (in a loop, from another process), mount points inside the tree (a tmpfs, a bind mount of the same
// filesystem), and a protected directory (the data dir) inside it or containing it. Nothing outside is touched.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { bindMount, mountTmpfs, unmount } from "./mount.js";
import { mountSyscalls } from "./mountsyscalls.js";
import { removeBeneath, UnsafeRemovalError } from "./saferemove.js";

/**
 * Temp dirs removed after the test, but only after its clean-ups (swappers killed, mounts unmounted): an rm -r
 * racing a swapper, or going down into a bind mount, is exactly what this file guards against.
 */
function scratch(t: TestContext) {
  const dirs: string[] = [];
  const cleanUps: Array<() => unknown> = [];
  t.after(async () => {
    for (const step of cleanUps.reverse()) await step();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  return {
    async dir(prefix: string) {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
    cleanUp: (step: () => unknown) => cleanUps.push(step),
  };
}

const isMountRoot = mountSyscalls()?.isMountRoot;

test("a directory swapped for a symlink to the outside during removal, again and again, never lets it out", async (t) => {
  const scratchpad = scratch(t);
  const root = await scratchpad.dir("saferemove-root-");
  const outside = await scratchpad.dir("saferemove-outside-");
  for (let i = 0; i < 20; i++) await writeFile(join(outside, `keep-${i}`), "keep");
  const volume = join(root, "vol");
  await mkdir(volume);
  // Another process swaps vol/d for a symlink to `outside` and back as fast as it can.
  const swapper = spawn(
    "sh",
    [
      "-c",
      `while true; do mkdir -p ${volume}/d/e 2>/dev/null; touch ${volume}/d/f ${volume}/d/e/g 2>/dev/null; ` +
        `mv ${volume}/d ${volume}/d.away 2>/dev/null; ln -s ${outside} ${volume}/d 2>/dev/null; ` +
        `rm -f ${volume}/d; mv ${volume}/d.away ${volume}/d 2>/dev/null; rm -rf ${volume}/d.away; done`,
    ],
    { stdio: "ignore" },
  );
  scratchpad.cleanUp(() => swapper.kill("SIGKILL"));
  let removals = 0;
  for (let i = 0; i < 150; i++) {
    // (only the swapper writes below vol/d: a write from here could go through its symlink)
    await writeFile(join(volume, "file"), "x");
    try {
      await removeBeneath(root, volume, { keep: true, isMountRoot });
      removals++;
    } catch (err) {
      // A lost race is an error for that attempt (ENOTDIR, ENOENT, ENOTEMPTY), never a removal elsewhere.
      assert.ok(err instanceof Error);
    }
    assert.equal((await readdir(outside)).length, 20, `attempt ${i} reached outside`);
  }
  assert.ok(removals > 0, "no attempt completed");
  swapper.kill("SIGKILL");
  assert.deepEqual((await readdir(outside)).sort(), Array.from({ length: 20 }, (_, i) => `keep-${i}`).sort());
});

test("a symlinked component of the path is refused; a symlink inside is removed as a link only", async (t) => {
  const scratchpad = scratch(t);
  const root = await scratchpad.dir("saferemove-root-");
  const outside = await scratchpad.dir("saferemove-outside-");
  await writeFile(join(outside, "keep"), "keep");
  await symlink(outside, join(root, "link"));
  await assert.rejects(removeBeneath(root, join(root, "link")), /link is a symlink/);
  await assert.rejects(removeBeneath(root, join(root, "link", "deeper")), UnsafeRemovalError);
  await mkdir(join(root, "vol"));
  await symlink(outside, join(root, "vol", "inner"));
  await symlink(join(outside, "keep"), join(root, "vol", "file-link"));
  await removeBeneath(root, join(root, "vol"));
  assert.deepEqual(await readdir(root), ["link"]);
  assert.equal(await readFile(join(outside, "keep"), "utf8"), "keep");
  await assert.rejects(removeBeneath(root, root), /is not inside/);
  await assert.rejects(removeBeneath(root, outside), /is not inside/);
});

test("mount points inside the tree stop the removal: a tmpfs and a bind mount of the same filesystem", async (t) => {
  const scratchpad = scratch(t);
  const root = await scratchpad.dir("saferemove-root-");
  const outside = await scratchpad.dir("saferemove-outside-");
  await writeFile(join(outside, "keep"), "keep");
  const volume = join(root, "vol");
  await mkdir(join(volume, "tmpfs"), { recursive: true });
  await mountTmpfs(join(volume, "tmpfs"), ["size=1m"]);
  scratchpad.cleanUp(() => unmount(join(volume, "tmpfs")).catch(() => undefined));
  await writeFile(join(volume, "tmpfs", "kept"), "kept");
  await assert.rejects(removeBeneath(root, volume, { isMountRoot }), /tmpfs is a mount point/);
  assert.equal(await readFile(join(volume, "tmpfs", "kept"), "utf8"), "kept");

  await mkdir(join(volume, "bound"), { recursive: true });
  await bindMount(outside, join(volume, "bound"), false);
  scratchpad.cleanUp(() => unmount(join(volume, "bound")).catch(() => undefined));
  await unmount(join(volume, "tmpfs"));
  await assert.rejects(removeBeneath(root, volume, { isMountRoot }), /bound is a mount point/);
  assert.equal(await readFile(join(outside, "keep"), "utf8"), "keep");
});

test("a protected directory, or any directory containing it, is refused before anything is removed", async (t) => {
  const root = await scratch(t).dir("saferemove-root-");
  const dataDir = join(root, "parent", "stowage");
  await mkdir(dataDir, { recursive: true });
  await writeFile(join(dataDir, "stowage.db"), "db");
  await writeFile(join(root, "parent", "sibling"), "sibling");
  for (const target of [dataDir, join(root, "parent")]) {
    await assert.rejects(removeBeneath(root, target, { protect: [dataDir] }), /protected directory/);
    await assert.rejects(removeBeneath(root, target, { protect: [dataDir], keep: true }), /protected directory/);
  }
  assert.equal(await readFile(join(dataDir, "stowage.db"), "utf8"), "db");
  assert.equal(await readFile(join(root, "parent", "sibling"), "utf8"), "sibling");
  await mkdir(join(root, "other"));
  await removeBeneath(root, join(root, "other"), { protect: [dataDir] });
  assert.deepEqual((await readdir(root)).sort(), ["parent"]);
});
