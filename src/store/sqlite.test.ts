import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { SqliteStore, StoreInUseError } from "./sqlite.js";
import { CompactedError, KeyExistsError, RevisionMismatchError } from "./store.js";
import type { KeyValue } from "./store.js";
import { bytes, slowWatcherConformance, storeConformance, takeEvents, text } from "./testing/conformance.js";

async function tempFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-sqlite-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, "store.db");
}

/** Opens the store in `file`, closing it when the test ends (closing twice is harmless). */
function openFile(t: TestContext, file: string, options?: Parameters<typeof SqliteStore.open>[1]): SqliteStore {
  const store = SqliteStore.open(file, options);
  t.after(() => store.close());
  return store;
}

storeConformance("sqlite in memory", () => SqliteStore.open(":memory:"));

let suiteFiles = 0;
const suiteDir = await mkdtemp(join(tmpdir(), "stowage-sqlite-suite-"));
process.on("exit", () => rmSync(suiteDir, { recursive: true, force: true }));
storeConformance("sqlite on disk", () => SqliteStore.open(join(suiteDir, `store-${suiteFiles++}.db`)));
storeConformance("sqlite on disk, inline writer", () =>
  SqliteStore.open(join(suiteDir, `store-${suiteFiles++}.db`), { writer: "inline" }),
);
slowWatcherConformance("sqlite on disk", (bufferLimit) =>
  SqliteStore.open(join(suiteDir, `store-${suiteFiles++}.db`), { watch: { bufferLimit } }),
);

const describeKv = (kv: KeyValue | undefined) =>
  kv && `${kv.key}=${text(kv.value)} created@${kv.createRevision} modified@${kv.modRevision}`;

test("keys, values and revisions survive close and reopen, and the revision counter continues", async (t) => {
  const file = await tempFile(t);
  const first = SqliteStore.open(file);
  const a = await first.create("/pv/a", bytes("a1"));
  const a2 = await first.update("/pv/a", bytes("a2"), a.modRevision);
  await first.create("/pv/b", bytes("b1"));
  await first.delete("/pv/b");
  const c = await first.create("/pv/c", bytes("c1"));
  const before = (await first.list("/")).items.map(describeKv);
  const revision = await first.currentRevision();
  await first.close();

  const second = openFile(t, file);
  assert.equal(await second.currentRevision(), revision);
  assert.deepEqual((await second.list("/")).items.map(describeKv), before);
  assert.equal(describeKv(await second.get("/pv/a")), `/pv/a=a2 created@${a.modRevision} modified@${a2.modRevision}`);
  assert.equal(await second.get("/pv/b"), undefined);
  const d = await second.create("/pv/d", bytes("d1"));
  assert.equal(d.modRevision, revision + 1);
  await assert.rejects(second.update("/pv/c", bytes("c2"), c.modRevision - 1), RevisionMismatchError);
  await assert.rejects(second.create("/pv/a", bytes("again")), KeyExistsError);
});

test("a watch resumed after reopen from an old revision replays the same events from the log", async (t) => {
  const file = await tempFile(t);
  const first = SqliteStore.open(file);
  const start = await first.currentRevision();
  const a = await first.create("/pv/a", bytes("a1"));
  await first.update("/pv/a", bytes("a2"), a.modRevision);
  await first.create("/pvc/x", bytes("claim"));
  await first.delete("/pv/a");
  const live = await takeEvents(first, "/pv/", start, 3);
  await first.close();

  const second = openFile(t, file);
  const replayed = await takeEvents(second, "/pv/", start, 4, () => second.create("/pv/b", bytes("b1")));
  const summary = (e: (typeof replayed)[number]) =>
    `${e.type} ${describeKv(e.kv)} prev=${describeKv(e.prev) ?? "none"}`;
  assert.deepEqual(replayed.slice(0, 3).map(summary), live.map(summary));
  assert.equal(replayed[2].type, "delete");
  assert.equal(text(replayed[2].prev!.value), "a2");
  assert.equal(summary(replayed[3]), `put /pv/b=b1 created@${start + 5} modified@${start + 5} prev=none`);
});

test("compaction is durable: after reopen, older revisions fail with CompactedError and newer ones replay", async (t) => {
  const file = await tempFile(t);
  const first = SqliteStore.open(file);
  const a = await first.create("/pv/a", bytes("a1"));
  const b = await first.create("/pv/b", bytes("b1"));
  await first.update("/pv/a", bytes("a2"), a.modRevision);
  await first.compact(b.modRevision);
  await first.close();

  const second = openFile(t, file);
  await assert.rejects(takeEvents(second, "/pv/", a.modRevision, 1), CompactedError);
  await assert.rejects(second.list("/pv/", { at: a.modRevision }), CompactedError);
  const events = await takeEvents(second, "/pv/", b.modRevision, 1);
  assert.equal(
    `${events[0].kv.key}=${text(events[0].kv.value)} prev=${text(events[0].prev!.value)}`,
    "/pv/a=a2 prev=a1",
  );
  assert.deepEqual(
    (await second.list("/pv/", { at: b.modRevision })).items.map((kv) => text(kv.value)),
    ["a1", "b1"],
  );
});

test("compaction drops replaced and deleted versions from disk, and reopening brings back exactly the live keys", async (t) => {
  const file = await tempFile(t);
  const first = SqliteStore.open(file);
  const a = await first.create("/pv/a", bytes("a1"));
  await first.update("/pv/a", bytes("a2"), a.modRevision);
  await first.create("/pv/gone", bytes("x"));
  await first.delete("/pv/gone");
  await first.create("/pv/again", bytes("first life"));
  await first.delete("/pv/again");
  const again = await first.create("/pv/again", bytes("second life"));
  const b = await first.create("/pv/b", bytes("b1"));
  const compactedAt = await first.currentRevision();
  await first.compact(compactedAt);
  const after = await first.update("/pv/b", bytes("b2"), b.modRevision);
  await first.close();

  const db = new Database(file, { readonly: true });
  const rows = db.prepare("SELECT key, rev FROM log ORDER BY rev").all() as { key: string; rev: number }[];
  db.close();
  assert.deepEqual(
    rows.map((row) => `${row.key}@${row.rev}`),
    [
      `/pv/a@${a.modRevision + 1}`,
      `/pv/again@${again.modRevision}`,
      `/pv/b@${b.modRevision}`,
      `/pv/b@${after.modRevision}`,
    ],
  );

  const second = openFile(t, file);
  assert.deepEqual((await second.list("/pv/")).items.map(describeKv), [
    `/pv/a=a2 created@${a.modRevision} modified@${a.modRevision + 1}`,
    `/pv/again=second life created@${again.modRevision} modified@${again.modRevision}`,
    `/pv/b=b2 created@${b.modRevision} modified@${after.modRevision}`,
  ]);
  const events = await takeEvents(second, "/pv/", compactedAt, 1);
  assert.equal(
    `${describeKv(events[0].kv)} prev=${describeKv(events[0].prev)}`,
    `/pv/b=b2 created@${b.modRevision} modified@${after.modRevision} prev=/pv/b=b1 created@${b.modRevision} modified@${b.modRevision}`,
  );
});

test("the database is a WAL-mode file on disk, owned by one store at a time", async (t) => {
  const file = await tempFile(t);
  const store = SqliteStore.open(file);
  await store.create("/pv/a", bytes("a1"));
  assert.ok(existsSync(file));
  assert.ok(existsSync(`${file}-wal`), "writes go to the write-ahead log");
  assert.throws(() => SqliteStore.open(file), StoreInUseError);
  await store.close();
  const again = openFile(t, file);
  assert.equal(text((await again.get("/pv/a"))!.value), "a1");
});

test("every write acknowledged before the process is killed (SIGKILL) is there after reopening", async (t) => {
  const file = await tempFile(t);
  const writer = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL("testdata/writer.ts", import.meta.url)), file],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  t.after(() => writer.kill("SIGKILL"));
  const acknowledged = new Map<string, number>();
  let buffered = "";
  await new Promise<void>((resolve, reject) => {
    writer.on("exit", (code) => reject(new Error(`writer exited early with ${code}`)));
    writer.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const [key, revision] = line.split(" ");
        acknowledged.set(key, Number(revision));
      }
      if (acknowledged.size >= 500) {
        writer.kill("SIGKILL");
        resolve();
      }
    });
  });
  await new Promise((resolve) => writer.once("exit", resolve));
  const store = openFile(t, file); // also takes over the lock the killed process left
  for (const [key, revision] of acknowledged) assert.equal((await store.get(key))?.modRevision, revision, key);
  const current = await store.currentRevision();
  assert.ok(current >= Math.max(...acknowledged.values()));
  assert.equal(await store.count("/pv/"), current, "one key per revision, nothing half-written");
});

test("a lock left behind by a process that died does not keep the store closed", async (t) => {
  const file = await tempFile(t);
  const dead = spawnSync(process.execPath, ["-e", ""]).pid;
  writeFileSync(`${file}.lock`, `${dead}\n`);
  const store = openFile(t, file);
  await store.create("/pv/a", bytes("a1"));
  assert.equal(await store.count("/pv/"), 1);
});

test("concurrent writes are committed together, each with its own revision and its own outcome", async (t) => {
  const store = openFile(t, await tempFile(t));
  const existing = await store.create("/pv/taken", bytes("x"));
  const start = await store.currentRevision();
  const commitsBefore = store.stats.commits;
  const writes = Array.from({ length: 200 }, (_, i) =>
    store.create(`/pv/${String(i).padStart(3, "0")}`, bytes(`${i}`)),
  );
  const refusedCreate = store.create("/pv/taken", bytes("y"));
  const refusedUpdate = store.update("/pv/taken", bytes("y"), existing.modRevision + 1000);
  const created = await Promise.all(writes);
  await assert.rejects(refusedCreate, KeyExistsError);
  await assert.rejects(refusedUpdate, RevisionMismatchError);
  assert.deepEqual(
    created.map((kv) => kv.modRevision),
    Array.from({ length: 200 }, (_, i) => start + i + 1),
  );
  assert.equal(await store.currentRevision(), start + 200);
  const commits = store.stats.commits - commitsBefore;
  assert.ok(commits < 10, `202 concurrent writes took ${commits} commits`);
  assert.equal(text((await store.get("/pv/taken"))!.value), "x");
});

test("writes accepted before close are committed, and the store refuses work after close", async (t) => {
  const file = await tempFile(t);
  const first = SqliteStore.open(file);
  const pending = first.create("/pv/a", bytes("a1"));
  await first.close();
  const kv = await pending;
  await assert.rejects(first.create("/pv/b", bytes("b1")));
  const second = openFile(t, file);
  assert.equal((await second.get("/pv/a"))?.modRevision, kv.modRevision);
});

test("a large compaction trims the log in steps and keeps every current value", async (t) => {
  const store = openFile(t, await tempFile(t));
  const writes: Promise<KeyValue>[] = [];
  for (let i = 0; i < 25_000; i++) writes.push(store.create(`/e/${i}`, bytes(`${i}`)));
  await Promise.all(writes);
  const middle = await store.currentRevision();
  await store.create("/e/last", bytes("last"));
  await store.compact(middle);
  assert.equal(await store.count("/e/"), 25_001);
  await assert.rejects(takeEvents(store, "/e/", middle - 1, 1), CompactedError);
  const events = await takeEvents(store, "/e/", middle, 1);
  assert.equal(events[0].kv.key, "/e/last");
});
