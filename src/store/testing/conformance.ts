// The one behaviour suite every Store backend runs (memory.test.ts, sqlite.test.ts, later etcd.test.ts).
// It asserts what the apiserver relies on: revisions as resourceVersions, the error classes it maps to
// 404/409/410, consistent pages, and watches that neither drop nor reorder events.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  maxRequestBytes,
  RequestTooLargeError,
  RevisionMismatchError,
  StoreClosedError,
} from "../store.js";
import type { KeyValue, Store } from "../store.js";
import { bytes, keysOf, openFor, rejectsWith, text } from "./helpers.js";
import { watchConformance } from "./watchconformance.js";

export { bytes, takeEvents, text } from "./helpers.js";
export { slowWatcherConformance } from "./watchconformance.js";

export function storeConformance(name: string, open: () => Promise<Store> | Store): void {
  describe(`${name} store conformance`, { timeout: 30_000 }, () => {
    describe("writes and revisions", () => {
      writeTests(open);
      deleteTests(open);
      concurrentWriteTests(open);
    });
    describe("list and count", () => {
      listTests(open);
      listAtRevisionTests(open);
    });
    watchConformance(open);
    describe("close", () => closeTests(open));
    describe("compaction", () => compactionTests(open));
  });
}

type Open = () => Promise<Store> | Store;

/** One write at a time: revisions, preconditions and their errors. */
function writeTests(open: Open): void {
  test("create stores the value at the next revision, as both create and mod revision", async (t) => {
    const store = await openFor(t, open);
    const before = await store.currentRevision();
    const kv = await store.create("/pv/a", bytes("one"));
    assert.equal(kv.modRevision, before + 1);
    assert.equal(kv.createRevision, before + 1);
    assert.equal(await store.currentRevision(), before + 1);
    const got = await store.get("/pv/a");
    assert.ok(got);
    assert.equal(text(got.value), "one");
    assert.deepEqual({ ...got, value: undefined }, { ...kv, value: undefined });
    assert.equal(await store.get("/pv/missing"), undefined);
  });

  test("every write bumps the one global revision by exactly one, across keys", async (t) => {
    const store = await openFor(t, open);
    const start = await store.currentRevision();
    const a = await store.create("/a", bytes("1"));
    const b = await store.create("/b", bytes("1"));
    const a2 = await store.update("/a", bytes("2"), a.modRevision);
    const gone = await store.delete("/b");
    assert.deepEqual(
      [a.modRevision, b.modRevision, a2.modRevision, gone.modRevision],
      [start + 1, start + 2, start + 3, start + 4],
    );
    assert.equal(await store.currentRevision(), start + 4);
  });

  test("a key and value over 1.5 MiB fail with etcd's RequestTooLargeError and change nothing", async (t) => {
    const store = await openFor(t, open);
    const kv = await store.create("/pv/a", bytes("one"));
    const revision = await store.currentRevision();
    const big = new Uint8Array(maxRequestBytes - "/pv/a".length + 1);
    const err = await rejectsWith(store.update("/pv/a", big, kv.modRevision), RequestTooLargeError);
    assert.equal(err.message, "etcdserver: request is too large");
    await rejectsWith(store.create("/pv/b", big), RequestTooLargeError);
    assert.equal(text((await store.get("/pv/a"))!.value), "one");
    assert.equal(await store.get("/pv/b"), undefined);
    assert.equal(await store.currentRevision(), revision);
    // exactly at the limit is still a write
    await store.update("/pv/a", big.subarray(1), kv.modRevision);
  });

  test("creating an existing key fails with KeyExistsError and changes nothing", async (t) => {
    const store = await openFor(t, open);
    await store.create("/pv/a", bytes("one"));
    const revision = await store.currentRevision();
    const err = await rejectsWith(store.create("/pv/a", bytes("two")), KeyExistsError);
    assert.equal(err.key, "/pv/a");
    assert.equal(text((await store.get("/pv/a"))!.value), "one");
    assert.equal(await store.currentRevision(), revision);
  });

  test("update at the expected revision writes a new revision and keeps the create revision", async (t) => {
    const store = await openFor(t, open);
    const created = await store.create("/pv/a", bytes("one"));
    const updated = await store.update("/pv/a", bytes("two"), created.modRevision);
    assert.equal(updated.modRevision, created.modRevision + 1);
    assert.equal(updated.createRevision, created.createRevision);
    const got = await store.get("/pv/a");
    assert.equal(text(got!.value), "two");
    assert.equal(got!.modRevision, updated.modRevision);
    assert.equal(got!.createRevision, created.createRevision);
  });

  test("update at a stale revision fails with RevisionMismatchError naming both revisions", async (t) => {
    const store = await openFor(t, open);
    const created = await store.create("/pv/a", bytes("one"));
    const updated = await store.update("/pv/a", bytes("two"), created.modRevision);
    const err = await rejectsWith(store.update("/pv/a", bytes("three"), created.modRevision), RevisionMismatchError);
    assert.equal(err.expected, created.modRevision);
    assert.equal(err.actual, updated.modRevision);
    assert.equal(text((await store.get("/pv/a"))!.value), "two");
    assert.equal(await store.currentRevision(), updated.modRevision);
  });

  test("update of a missing key fails with KeyNotFoundError", async (t) => {
    const store = await openFor(t, open);
    const revision = await store.currentRevision();
    await rejectsWith(store.update("/pv/none", bytes("x"), 1), KeyNotFoundError);
    assert.equal(await store.currentRevision(), revision);
  });
}

function deleteTests(open: Open): void {
  test("delete returns the last value at the delete's revision, and the key is gone", async (t) => {
    const store = await openFor(t, open);
    const created = await store.create("/pv/a", bytes("one"));
    const deleted = await store.delete("/pv/a", created.modRevision);
    assert.equal(text(deleted.value), "one");
    assert.equal(deleted.modRevision, created.modRevision + 1);
    assert.equal(deleted.createRevision, created.createRevision);
    assert.equal(await store.get("/pv/a"), undefined);
    assert.equal(await store.currentRevision(), deleted.modRevision);
  });

  test("delete without an expected revision deletes whatever is there", async (t) => {
    const store = await openFor(t, open);
    const created = await store.create("/pv/a", bytes("one"));
    await store.update("/pv/a", bytes("two"), created.modRevision);
    assert.equal(text((await store.delete("/pv/a")).value), "two");
    assert.equal(await store.get("/pv/a"), undefined);
  });

  test("delete at a stale revision fails with RevisionMismatchError; of a missing key with KeyNotFoundError", async (t) => {
    const store = await openFor(t, open);
    const created = await store.create("/pv/a", bytes("one"));
    await store.update("/pv/a", bytes("two"), created.modRevision);
    await rejectsWith(store.delete("/pv/a", created.modRevision), RevisionMismatchError);
    assert.equal(text((await store.get("/pv/a"))!.value), "two");
    await rejectsWith(store.delete("/pv/none"), KeyNotFoundError);
  });

  test("a key created again after delete starts a new life with a new create revision", async (t) => {
    const store = await openFor(t, open);
    const first = await store.create("/pv/a", bytes("one"));
    await store.delete("/pv/a");
    const second = await store.create("/pv/a", bytes("again"));
    assert.equal(second.createRevision, first.createRevision + 2);
    assert.equal(second.modRevision, second.createRevision);
  });
}

/** The store's own copy of what it was given, and writers racing for one key. */
function concurrentWriteTests(open: Open): void {
  test("the store keeps its own copy of written bytes", async (t) => {
    const store = await openFor(t, open);
    const value = bytes("one");
    await store.create("/pv/a", value);
    value[0] = "X".charCodeAt(0);
    assert.equal(text((await store.get("/pv/a"))!.value), "one");
  });

  test("concurrent updates at the same revision: exactly one wins, the others get RevisionMismatchError", async (t) => {
    const store = await openFor(t, open);
    const created = await store.create("/pv/a", bytes("0"));
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.update("/pv/a", bytes(`${i + 1}`), created.modRevision)),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assert.equal(won.length, 1);
    for (const r of lost) assert.ok(r.reason instanceof RevisionMismatchError, String(r.reason));
    const winner = (won[0] as PromiseFulfilledResult<KeyValue>).value;
    assert.equal(text((await store.get("/pv/a"))!.value), text(winner.value));
    assert.equal(await store.currentRevision(), created.modRevision + 1);
  });

  test("concurrent creates of one key: exactly one wins, the others get KeyExistsError", async (t) => {
    const store = await openFor(t, open);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.create("/pv/a", bytes(`${i}`))),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) if (r.status === "rejected") assert.ok(r.reason instanceof KeyExistsError);
  });
}

function listTests(open: Open): void {
  test("lists keys under a prefix in key order, and nothing outside it", async (t) => {
    const store = await openFor(t, open);
    for (const key of ["/pv/c", "/pvc/x", "/pv/a", "/pv0", "/p", "/pv/b", "/pv/a/sub"]) {
      await store.create(key, bytes(key));
    }
    const list = await store.list("/pv/");
    assert.deepEqual(keysOf(list.items), ["/pv/a", "/pv/a/sub", "/pv/b", "/pv/c"]);
    assert.equal(text(list.items[0].value), "/pv/a");
    assert.equal(list.more, false);
    assert.equal(list.revision, await store.currentRevision());
    assert.deepEqual(keysOf((await store.list("/nothing/")).items), []);
    assert.equal((await store.list("")).items.length, 7);
  });

  test("pages with limit and after, saying whether more remain", async (t) => {
    const store = await openFor(t, open);
    const want: string[] = [];
    for (let i = 24; i >= 0; i--) await store.create(`/pv/${String(i).padStart(2, "0")}`, bytes(`${i}`));
    for (let i = 0; i < 25; i++) want.push(`/pv/${String(i).padStart(2, "0")}`);
    await store.create("/pvc/zz", bytes("other"));
    const got: string[] = [];
    const mores: boolean[] = [];
    let after: string | undefined;
    while (true) {
      const page = await store.list("/pv/", { limit: 10, after });
      got.push(...keysOf(page.items));
      mores.push(page.more);
      if (!page.more) break;
      after = page.items[page.items.length - 1].key;
    }
    assert.deepEqual(got, want);
    assert.deepEqual(mores, [true, true, false]);
    const exact = await store.list("/pv/", { limit: 25 });
    assert.equal(exact.items.length, 25);
    assert.equal(exact.more, false);
  });
}

/** `list at`: consistent pages as of one revision, and the revisions a list may not name. */
function listAtRevisionTests(open: Open): void {
  test("lists as of an older revision, pages included, while newer writes are hidden", async (t) => {
    const store = await openFor(t, open);
    const a = await store.create("/pv/a", bytes("a1"));
    await store.create("/pv/b", bytes("b1"));
    await store.create("/pv/d", bytes("d1"));
    const then = await store.currentRevision();
    await store.update("/pv/a", bytes("a2"), a.modRevision);
    await store.delete("/pv/b");
    await store.create("/pv/c", bytes("c1"));
    await store.create("/pv/0", bytes("01"));

    const old = await store.list("/pv/", { at: then });
    assert.equal(old.revision, then);
    assert.deepEqual(
      old.items.map((kv) => `${kv.key}=${text(kv.value)}@${kv.modRevision}`),
      [`/pv/a=a1@${a.modRevision}`, `/pv/b=b1@${a.modRevision + 1}`, `/pv/d=d1@${a.modRevision + 2}`],
    );
    const first = await store.list("/pv/", { at: then, limit: 2 });
    assert.deepEqual(keysOf(first.items), ["/pv/a", "/pv/b"]);
    assert.equal(first.more, true);
    const second = await store.list("/pv/", { at: then, limit: 2, after: "/pv/b" });
    assert.deepEqual(keysOf(second.items), ["/pv/d"]);
    assert.equal(second.more, false);

    const now = await store.list("/pv/");
    assert.deepEqual(
      now.items.map((kv) => `${kv.key}=${text(kv.value)}`),
      ["/pv/0=01", "/pv/a=a2", "/pv/c=c1", "/pv/d=d1"],
    );
  });

  test("listing at a future revision fails with FutureRevisionError", async (t) => {
    const store = await openFor(t, open);
    await store.create("/pv/a", bytes("a"));
    const current = await store.currentRevision();
    await rejectsWith(store.list("/pv/", { at: current + 5 }), FutureRevisionError);
  });

  test("listing at a compacted revision fails with CompactedError; at the compaction point still works", async (t) => {
    const store = await openFor(t, open);
    const a = await store.create("/pv/a", bytes("a1"));
    const middle = (await store.update("/pv/a", bytes("a2"), a.modRevision)).modRevision;
    await store.update("/pv/a", bytes("a3"), middle);
    await store.compact(middle);
    const err = await rejectsWith(store.list("/pv/", { at: a.modRevision }), CompactedError);
    assert.equal(err.requested, a.modRevision);
    assert.equal(err.compacted, middle);
    const atCompaction = await store.list("/pv/", { at: middle });
    assert.deepEqual(
      atCompaction.items.map((kv) => text(kv.value)),
      ["a2"],
    );
    assert.deepEqual(
      (await store.list("/pv/")).items.map((kv) => text(kv.value)),
      ["a3"],
    );
  });

  test("counts the keys under a prefix", async (t) => {
    const store = await openFor(t, open);
    for (const key of ["/pv/a", "/pv/b", "/pvc/a", "/pv/c"]) await store.create(key, bytes("x"));
    await store.delete("/pv/b");
    assert.equal(await store.count("/pv/"), 2);
    assert.equal(await store.count("/pvc/"), 1);
    assert.equal(await store.count("/none/"), 0);
    assert.equal(await store.count(""), 3);
  });
}

function closeTests(open: Open): void {
  test("close ends open watches and refuses further work with StoreClosedError", async (t) => {
    const store = await openFor(t, open);
    const controller = new AbortController();
    t.after(() => controller.abort());
    const seen: string[] = [];
    const from = await store.currentRevision(); // before the write: a networked store may answer it after
    const watching = (async () => {
      for await (const event of store.watch("/", from, controller.signal)) {
        if (event.type !== "progress") seen.push(event.kv.key);
      }
    })();
    await store.create("/pv/a", bytes("a"));
    while (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await store.close();
    await watching;
    assert.deepEqual(seen, ["/pv/a"]);
    await rejectsWith(store.create("/pv/b", bytes("b")), StoreClosedError);
    await rejectsWith(store.get("/pv/a"), StoreClosedError);
    await store.close(); // closing twice is harmless
  });
}

function compactionTests(open: Open): void {
  test("keeps current values and revisions; compacting twice or backwards is harmless", async (t) => {
    const store = await openFor(t, open);
    const a = await store.create("/pv/a", bytes("a1"));
    const a2 = await store.update("/pv/a", bytes("a2"), a.modRevision);
    await store.create("/pv/b", bytes("b1"));
    const current = await store.currentRevision();
    await store.compact(current);
    await store.compact(current);
    await store.compact(a.modRevision);
    assert.equal(await store.currentRevision(), current);
    const got = await store.get("/pv/a");
    assert.equal(text(got!.value), "a2");
    assert.equal(got!.modRevision, a2.modRevision);
    assert.equal(got!.createRevision, a.createRevision);
    assert.deepEqual(keysOf((await store.list("/pv/")).items), ["/pv/a", "/pv/b"]);
    const next = await store.update("/pv/a", bytes("a3"), a2.modRevision);
    assert.equal(next.modRevision, current + 1);
  });

  test("compacting beyond the current revision fails with FutureRevisionError", async (t) => {
    const store = await openFor(t, open);
    await store.create("/pv/a", bytes("a1"));
    await rejectsWith(store.compact((await store.currentRevision()) + 1), FutureRevisionError);
  });
}
