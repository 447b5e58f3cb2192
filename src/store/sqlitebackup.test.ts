import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { SqliteStore } from "./sqlite.js";
import { BackupFileError, restoreSqlite } from "./sqlitebackup.js";
import { CompactedError } from "./store.js";
import { bytes, text } from "./testing/conformance.js";

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-backup-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("a backup taken during writes holds every write acknowledged before it and none half-done", async (t) => {
  const dir = await tempDir(t);
  const store = SqliteStore.open(join(dir, "store.db"));
  t.after(() => store.close());
  for (let i = 0; i < 50; i++) await store.create(`/registry/a/${i}`, bytes(`v${i}`));
  // Writes keep arriving (the writer thread commits them) while the copy is taken.
  const writing = Promise.all(Array.from({ length: 200 }, (_, i) => store.create(`/registry/b/${i}`, bytes("b"))));
  const revision = await store.backup(join(dir, "backup.db"));
  await writing;
  assert.ok(revision >= 50);

  const restored = restoreSqlite(join(dir, "backup.db"), join(dir, "restored.db"), 1000);
  assert.equal(restored.backupRevision, revision);
  const copy = SqliteStore.open(join(dir, "restored.db"));
  t.after(() => copy.close());
  const { items } = await copy.list("/registry/");
  assert.equal(items.length, restored.keys);
  // Every key the backup holds was written at or before its revision, and every such write is there.
  assert.equal(items.length, revision);
  assert.ok(items.every((kv) => kv.modRevision <= revision));
  assert.equal(text((await copy.get("/registry/a/7"))!.value), "v7");
});

test("a restored store's revision jumps past the old one, and watches from old revisions are told to relist", async (t) => {
  const dir = await tempDir(t);
  const store = SqliteStore.open(join(dir, "store.db"));
  t.after(() => store.close());
  const first = await store.create("/registry/x", bytes("1"));
  await store.update("/registry/x", bytes("2"), first.modRevision);
  await store.backup(join(dir, "backup.db"));
  // The old store goes on: a client that watched it holds a resourceVersion newer than the backup.
  for (let i = 0; i < 5; i++) await store.create(`/registry/later/${i}`, bytes("later"));
  const seenByClient = await store.currentRevision();

  restoreSqlite(join(dir, "backup.db"), join(dir, "restored.db"), 100);
  const copy = SqliteStore.open(join(dir, "restored.db"));
  t.after(() => copy.close());
  assert.equal(await copy.currentRevision(), 2 + 100);
  const next = await copy.create("/registry/new", bytes("n"));
  assert.ok(next.modRevision > seenByClient, "a new write never reuses a resourceVersion the old store handed out");
  const watch = copy.watch("/registry/", seenByClient, AbortSignal.timeout(5000))[Symbol.asyncIterator]();
  await assert.rejects(watch.next(), CompactedError);
  assert.equal(text((await copy.get("/registry/x"))!.value), "2");
});

test("restore refuses an existing store, a file that is not a backup and a bump that is not positive", async (t) => {
  const dir = await tempDir(t);
  const store = SqliteStore.open(join(dir, "store.db"));
  await store.create("/registry/x", bytes("1"));
  await store.backup(join(dir, "backup.db"));
  await store.close();
  writeFileSync(join(dir, "junk"), "not a database at all");
  assert.throws(() => restoreSqlite(join(dir, "backup.db"), join(dir, "store.db")), BackupFileError);
  assert.throws(() => restoreSqlite(join(dir, "junk"), join(dir, "new.db")), /is not a stowage SQLite backup/);
  assert.throws(() => restoreSqlite(join(dir, "backup.db"), join(dir, "new.db"), 0), /must be a positive integer/);
  assert.equal(existsSync(join(dir, "new.db")), false);
  assert.equal(existsSync(join(dir, "new.db.restoring")), false);
});

test("a backup never overwrites a file", async (t) => {
  const dir = await tempDir(t);
  const store = SqliteStore.open(join(dir, "store.db"));
  t.after(() => store.close());
  writeFileSync(join(dir, "taken"), "mine");
  await assert.rejects(store.backup(join(dir, "taken")), /already exists/);
});
