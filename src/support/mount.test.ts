// Mounts made with system calls look exactly like the ones util-linux's mount makes: same options in
// /proc/self/mountinfo, same read-only refusal, same cleanup. Real mounts in a temp dir (we run as root).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, statfs, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { promisify } from "node:util";
import {
  bindMount,
  bindMountNoFollow,
  hasMountsUnder,
  isMountPoint,
  isMountPointNow,
  listMounts,
  MountError,
  mountAt,
  mountsUnder,
  mountTmpfs,
  unmount,
  unmountNoFollow,
} from "./mount.js";
import { mountSyscalls } from "./mountsyscalls.js";
import { openDirectoryNoFollow } from "./openpath.js";

const run = promisify(execFile);

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mount-test-"));
  t.after(async () => {
    const leftovers = (await listMounts()).map((m) => m.mountPoint).filter((p) => p.startsWith(`${dir}/`));
    for (const path of leftovers.reverse()) await run("umount", ["-l", path]).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  return dir;
}

const optionsAt = async (path: string) => (await mountAt(path))?.options.join(",");

test("mount(2) is called directly on this machine (koffi loaded), not the mount binary", () => {
  assert.ok(mountSyscalls(), "koffi's prebuilt binary for this platform did not load");
});

test("a read-only bind mount keeps the source's nosuid, nodev and noexec, as mount -o remount,bind,ro does", async (t) => {
  const dir = await tempDir(t);
  const fs = join(dir, "fs");
  await mkdir(fs);
  await run("mount", ["-t", "tmpfs", "-o", "nosuid,nodev,noexec,noatime", "tmpfs", fs]);
  await mkdir(join(fs, "volume"));
  for (const name of ["ours", "util-linux"]) await mkdir(join(dir, name));

  await bindMount(join(fs, "volume"), join(dir, "ours"), true);
  await run("mount", ["--bind", join(fs, "volume"), join(dir, "util-linux")]);
  await run("mount", ["-o", "remount,bind,ro", join(dir, "util-linux")]);

  assert.equal(await optionsAt(join(dir, "ours")), "ro,nosuid,nodev,noexec,noatime");
  assert.equal(await optionsAt(join(dir, "ours")), await optionsAt(join(dir, "util-linux")));
  assert.equal((await mountAt(join(dir, "ours")))?.root, "/volume");
  await assert.rejects(writeFile(join(dir, "ours", "f"), "x"), { code: "EROFS" });
});

test("a read-write bind mount shows the volume's files and writes through to it", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "volume"));
  await mkdir(join(dir, "target"));
  await writeFile(join(dir, "volume", "hello"), "from the volume");

  await bindMount(join(dir, "volume"), join(dir, "target"), false);
  assert.equal(await readFile(join(dir, "target", "hello"), "utf8"), "from the volume");
  await writeFile(join(dir, "target", "written"), "through the mount");
  assert.equal(await readFile(join(dir, "volume", "written"), "utf8"), "through the mount");
  assert.match((await optionsAt(join(dir, "target"))) ?? "", /^rw(,|$)/);
});

test("isMountPoint and mountAt tell a mount point from a plain directory, a missing path and a symlink", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "volume"));
  await mkdir(join(dir, "target"));
  await mkdir(join(dir, "plain"));
  await bindMount(join(dir, "volume"), join(dir, "target"), false);
  await run("ln", ["-s", join(dir, "target"), join(dir, "link")]);

  assert.equal(await isMountPoint(join(dir, "target")), true);
  assert.equal((await mountAt(join(dir, "target")))?.mountPoint, join(dir, "target"));
  for (const path of [join(dir, "plain"), join(dir, "missing"), join(dir, "link"), join(dir, "target", "inside")]) {
    assert.equal(await isMountPoint(path), false, path);
    assert.equal(await mountAt(path), undefined, path);
  }
  // findmnt agrees.
  await run("findmnt", ["-n", "--mountpoint", join(dir, "target")]);
  await assert.rejects(run("findmnt", ["-n", "--mountpoint", join(dir, "plain")]));
});

test("unmount takes off every mount stacked on a path and is a no-op where nothing is mounted", async (t) => {
  const dir = await tempDir(t);
  for (const name of ["a", "b", "target"]) await mkdir(join(dir, name));
  await writeFile(join(dir, "a", "which"), "a");
  await writeFile(join(dir, "b", "which"), "b");
  await bindMount(join(dir, "a"), join(dir, "target"), false);
  await bindMount(join(dir, "b"), join(dir, "target"), true);
  assert.equal(await readFile(join(dir, "target", "which"), "utf8"), "b", "the last mount is the visible one");

  await unmount(join(dir, "target"));
  assert.equal(await isMountPoint(join(dir, "target")), false);
  assert.deepEqual(
    (await listMounts()).filter((m) => m.mountPoint === join(dir, "target")),
    [],
    "nothing left in mountinfo",
  );
  await unmount(join(dir, "target"));
  await unmount(join(dir, "missing"));
});

test("a failed bind mount says which mount failed and why, and mounts nothing", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "target"));
  await assert.rejects(bindMount(join(dir, "missing"), join(dir, "target"), false), (err: unknown) => {
    assert.ok(err instanceof MountError);
    assert.match(err.message, /^mount --bind \S+\/missing \S+\/target failed: /);
    if (mountSyscalls()) assert.match(err.message, /No such file or directory \(ENOENT\)/);
    return true;
  });
  assert.equal(await isMountPoint(join(dir, "target")), false);
});

test("a tmpfs gets the asked size and mode", async (t) => {
  const dir = await tempDir(t);
  const target = join(dir, "memory");
  await mkdir(target);
  await mountTmpfs(target, ["mode=0777", `size=${8 << 20}`]);
  const mount = await mountAt(target);
  assert.equal(mount?.fsType, "tmpfs");
  const fs = await statfs(target);
  assert.equal(fs.blocks * fs.bsize, 8 << 20);
  assert.equal((await stat(target)).mode & 0o777, 0o777);
  await unmount(target);
  assert.equal(await isMountPoint(target), false);
});

test("hasMountsUnder finds a mount anywhere below a directory, a bind-mounted file included, as mountsUnder does", async (t) => {
  const dir = await tempDir(t);
  const pod = join(dir, "pod");
  await mkdir(join(pod, "volumes", "kubernetes.io~csi", "pv-1", "mount"), { recursive: true });
  await mkdir(join(dir, "volume"));
  await writeFile(join(dir, "hosts"), "127.0.0.1 localhost\n");
  await writeFile(join(pod, "etc-hosts"), "");
  await run("ln", ["-s", dir, join(pod, "link-out")]); // never followed: the walk stays inside the pod
  const agrees = async (want: boolean) => {
    assert.equal(await hasMountsUnder(pod), want);
    assert.equal((await mountsUnder(pod)).length > 0, want);
  };

  await agrees(false);
  await bindMount(join(dir, "volume"), join(pod, "volumes", "kubernetes.io~csi", "pv-1", "mount"), false);
  await agrees(true);
  await unmount(join(pod, "volumes", "kubernetes.io~csi", "pv-1", "mount"));
  await agrees(false);
  await bindMount(join(dir, "hosts"), join(pod, "etc-hosts"), true);
  await agrees(true);
  await unmount(join(pod, "etc-hosts"));
  await bindMount(join(dir, "volume"), pod, false);
  await agrees(true);
  await unmount(pod);
  await agrees(false);
  assert.equal(await hasMountsUnder(join(dir, "missing")), false);
});

test("thousands of mount checks at once all get their answer (koffi itself takes 256 calls in flight)", async (t) => {
  const dir = await tempDir(t); // a fresh directory: never a mount point
  const answers = await Promise.all(Array.from({ length: 2000 }, (_, i) => isMountPoint(i % 2 ? "/" : dir)));
  assert.deepEqual(
    answers.filter((answer, i) => answer !== (i % 2 === 1)),
    [],
  );
});

test("a bind through descriptors is made on the calling thread, and the mount point is told there too", async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, "volume"));
  await writeFile(join(dir, "volume", "f"), "data");
  const source = openDirectoryNoFollow(join(dir, "volume"));
  const target = openDirectoryNoFollow(join(dir, "target"), { mode: 0o750 });
  t.after(() => {
    source.close();
    target.close();
  });
  assert.equal(isMountPointNow(target.inParent, target.path), false);
  await bindMountNoFollow(source, target, false);
  assert.equal(isMountPointNow(target.inParent, target.path), true);
  assert.equal(await isMountPoint(join(dir, "target")), true, "the same answer as statx on a worker thread");
  assert.equal(await readFile(join(dir, "target", "f"), "utf8"), "data");
  await unmountNoFollow(target);
  assert.equal(isMountPointNow(target.inParent, target.path), false);
  assert.equal(isMountPointNow(join(dir, "missing")), false, "a missing path is no mount point");
  // Only descriptor paths are bound on the calling thread: a path could wait on a network filesystem's lookup.
  assert.throws(() => mountSyscalls()?.bindNow(join(dir, "volume"), join(dir, "target")), /descriptor paths/);
});
