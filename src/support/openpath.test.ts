// Paths opened component by component without following symlinks (openpath.ts).
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rename, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openDirectoryNoFollow, openParent, UnsafePathError } from "./openpath.js";

test("a path is opened and created without following a symlink anywhere in it", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "openpath-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, "elsewhere"));
  await symlink(join(dir, "elsewhere"), join(dir, "link"));
  await writeFile(join(dir, "file"), "");

  const made = openDirectoryNoFollow(join(dir, "a/b/c"), { mode: 0o750 });
  made.close();
  assert.equal((await stat(join(dir, "a/b/c"))).mode & 0o777, 0o750);
  assert.throws(() => openDirectoryNoFollow(join(dir, "link/x"), { mode: 0o750 }), /link is a symlink/);
  assert.throws(() => openDirectoryNoFollow(join(dir, "link")), UnsafePathError);
  assert.throws(() => openDirectoryNoFollow(join(dir, "file")), /file is not a directory/);
  assert.throws(() => openDirectoryNoFollow(`${dir}/a/../link`), /must not contain|symlink/);
  assert.deepEqual(await readdir(join(dir, "elsewhere")), [], "nothing was created through the symlink");

  // The parent is held by its descriptor: renamed away and replaced by a symlink, it is still the one opened.
  const parent = openParent(join(dir, "a/b/c"));
  t.after(() => parent.close());
  await rename(join(dir, "a"), join(dir, "a.away"));
  await symlink(join(dir, "elsewhere"), join(dir, "a"));
  assert.ok(parent.lstat()?.isDirectory(), "c is found in the directory that was opened");
  assert.deepEqual(await readdir(join(dir, "a.away/b")), ["c"]);
});
