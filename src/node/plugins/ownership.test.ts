// setVolumeOwnership on a real directory tree (the tests run as root, so chown works), row by row against
// upstream's volume_linux.go: the group, the group bits, setgid on directories, symlinks left unchmodded, and
// OnRootMismatch skipping the walk when the root is already right.
import assert from "node:assert/strict";
import { chmod, chown, lstat, mkdir, mkdtemp, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { requiresPermissionChange, setVolumeOwnership } from "./ownership.js";

const fsGroup = 2000;

/** root/ (0755) with file (0600), sub/ (0700) with deep (0644), and link -> file; all owned by root:root. */
async function tree(t: TestContext) {
  const root = await mkdtemp(join(tmpdir(), "stowage-ownership-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await chmod(root, 0o755);
  await writeFile(join(root, "file"), "x", { mode: 0o600 });
  await mkdir(join(root, "sub"), { mode: 0o700 });
  await writeFile(join(root, "sub", "deep"), "y", { mode: 0o644 });
  await symlink("file", join(root, "link"));
  return root;
}

const modeOf = async (path: string) => (await stat(path)).mode & 0o7777;
const gidOf = async (path: string) => (await lstat(path)).gid;

test("without an fsGroup nothing changes", async (t) => {
  const root = await tree(t);
  assert.equal(await setVolumeOwnership(root, undefined, "Always", false), false);
  assert.equal(await gidOf(join(root, "file")), 0);
  assert.equal(await modeOf(join(root, "file")), 0o600);
});

test("Always: every entry gets the group, group rw, and directories group search and setgid", async (t) => {
  const root = await tree(t);
  assert.equal(await setVolumeOwnership(root, fsGroup, "Always", false), true);
  for (const path of [root, join(root, "sub"), join(root, "file"), join(root, "sub", "deep"), join(root, "link")]) {
    assert.equal(await gidOf(path), fsGroup, path);
  }
  assert.equal(await modeOf(root), 0o2775);
  assert.equal(await modeOf(join(root, "sub")), 0o2770);
  assert.equal(await modeOf(join(root, "file")), 0o660, "through the link too: one chmod, of the file itself");
  assert.equal(await modeOf(join(root, "sub", "deep")), 0o664);
});

test("a read-only volume gets group read only", async (t) => {
  const root = await tree(t);
  await setVolumeOwnership(root, fsGroup, undefined, true);
  assert.equal(await modeOf(join(root, "file")), 0o640);
  assert.equal(await modeOf(join(root, "sub")), 0o2750);
});

test("OnRootMismatch leaves a volume whose root is already right alone", async (t) => {
  const root = await tree(t);
  await chown(root, 0, fsGroup);
  await chmod(root, 0o2775);
  assert.equal(await requiresPermissionChange(root, fsGroup, false), false);
  assert.equal(await setVolumeOwnership(root, fsGroup, "OnRootMismatch", false), false);
  assert.equal(await gidOf(join(root, "file")), 0, "not walked");
});

test("OnRootMismatch walks a volume whose root lacks setgid, another group or group write", async (t) => {
  for (const [gid, mode] of [
    [fsGroup, 0o775],
    [0, 0o2775],
    [fsGroup, 0o2755],
  ]) {
    const root = await tree(t);
    await chown(root, 0, gid);
    await chmod(root, mode);
    assert.equal(await setVolumeOwnership(root, fsGroup, "OnRootMismatch", false), true, `root ${gid} ${mode}`);
    assert.equal(await gidOf(join(root, "sub", "deep")), fsGroup);
  }
});
