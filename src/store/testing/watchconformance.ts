// The watch part of the store conformance suite (see conformance.ts), and the slow-consumer suite for
// backends that take a per-watcher buffer limit.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { CompactedError } from "../store.js";
import type { KeyValue, Revision, Store, WatchEvent, WatchProgress } from "../store.js";
import { bytes, openFor, rejectsWith, summary, takeEvents, text } from "./helpers.js";

/** Called inside storeConformance's describe. */
export function watchConformance(open: () => Promise<Store> | Store): void {
  describe("watch", () => {
    watchTests(open);
    busyWatchTests(open);
  });
}

/** What one watch delivers: history, live events, its prefix, its end. */
function watchTests(open: () => Promise<Store> | Store): void {
  test("replays history after the revision in order, then delivers live events, with prev", async (t) => {
    const store = await openFor(t, open);
    const start = await store.currentRevision();
    const a = await store.create("/pv/a", bytes("a1"));
    const a2 = await store.update("/pv/a", bytes("a2"), a.modRevision);
    const events = await takeEvents(store, "/pv/", start, 5, async () => {
      const b = await store.create("/pv/b", bytes("b1"));
      await store.delete("/pv/a", a2.modRevision);
      await store.update("/pv/b", bytes("b2"), b.modRevision);
    });
    assert.deepEqual(events.map(summary), [
      `put /pv/a=a1@${start + 1}`,
      `put /pv/a=a2@${start + 2}`,
      `put /pv/b=b1@${start + 3}`,
      `delete /pv/a=a2@${start + 4}`,
      `put /pv/b=b2@${start + 5}`,
    ]);
    assert.equal(events[0].prev, undefined);
    assert.equal(text(events[1].prev!.value), "a1");
    assert.equal(events[1].prev!.modRevision, start + 1);
    assert.equal(events[1].kv.createRevision, start + 1);
    assert.equal(events[3].prev!.modRevision, start + 2);
    assert.equal(text(events[3].prev!.value), "a2");
    assert.equal(text(events[4].prev!.value), "b1");
  });

  test("from an intermediate revision skips what came before it", async (t) => {
    const store = await openFor(t, open);
    const a = await store.create("/pv/a", bytes("a1"));
    await store.create("/pv/b", bytes("b1"));
    const events = await takeEvents(store, "/pv/", a.modRevision, 1);
    assert.deepEqual(events.map(summary), [`put /pv/b=b1@${a.modRevision + 1}`]);
  });

  test("from the current revision delivers only new events", async (t) => {
    const store = await openFor(t, open);
    await store.create("/pv/old", bytes("x"));
    const now = await store.currentRevision();
    const events = await takeEvents(store, "/pv/", now, 1, () => store.create("/pv/new", bytes("y")));
    assert.deepEqual(events.map(summary), [`put /pv/new=y@${now + 1}`]);
  });

  test("delivers only keys under the prefix", async (t) => {
    const store = await openFor(t, open);
    const start = await store.currentRevision();
    await store.create("/pvc/a", bytes("claim"));
    await store.create("/pv/a", bytes("volume"));
    const events = await takeEvents(store, "/pv/", start, 2, async () => {
      await store.create("/pv0", bytes("not me"));
      await store.create("/pvc/b", bytes("not me"));
      await store.create("/pv/b", bytes("volume"));
    });
    assert.deepEqual(
      events.map((e) => e.kv.key),
      ["/pv/a", "/pv/b"],
    );
  });

  test("ends when its signal aborts, also while waiting for events", async (t) => {
    const store = await openFor(t, open);
    const controller = new AbortController();
    const seen: string[] = [];
    const from = await store.currentRevision(); // before the write: a networked store may answer it after
    const watching = (async () => {
      for await (const event of store.watch("/pv/", from, controller.signal)) {
        if (event.type === "progress") continue;
        seen.push(event.kv.key);
        if (seen.length === 1) setTimeout(() => controller.abort(), 10);
      }
    })();
    await store.create("/pv/a", bytes("a"));
    await watching;
    assert.deepEqual(seen, ["/pv/a"]);
    // An already-aborted signal yields nothing.
    const events: (WatchEvent | WatchProgress)[] = [];
    for await (const event of store.watch("/pv/", 0, controller.signal)) events.push(event);
    assert.equal(events.length, 0);
  });

  test("from a compacted revision fails with CompactedError", async (t) => {
    const store = await openFor(t, open);
    const a = await store.create("/pv/a", bytes("a1"));
    const b = await store.create("/pv/b", bytes("b1"));
    await store.create("/pv/c", bytes("c1"));
    await store.compact(b.modRevision);
    const err = await rejectsWith(takeEvents(store, "/pv/", a.modRevision, 1), CompactedError);
    assert.equal(err.requested, a.modRevision);
    assert.equal(err.compacted, b.modRevision);
    const events = await takeEvents(store, "/pv/", b.modRevision, 1);
    assert.deepEqual(
      events.map((e) => e.kv.key),
      ["/pv/c"],
    );
  });
}

/** Many watchers, and watches racing with writers. */
function busyWatchTests(open: () => Promise<Store> | Store): void {
  test("many watchers each see every event", async (t) => {
    const store = await openFor(t, open);
    const start = await store.currentRevision();
    const watchers = Array.from({ length: 10 }, () => takeEvents(store, "/", start, 20));
    for (let i = 0; i < 20; i++) await store.create(`/pv/${i}`, bytes(`${i}`));
    for (const events of await Promise.all(watchers)) {
      assert.deepEqual(
        events.map((e) => e.kv.modRevision),
        Array.from({ length: 20 }, (_, i) => start + i + 1),
      );
    }
  });

  test("a watch replaying history while writes continue gets every event exactly once, in order", async (t) => {
    const store = await openFor(t, open);
    const start = await store.currentRevision();
    await Promise.all(Array.from({ length: 300 }, (_, i) => store.create(`/pv/old-${i}`, bytes(`${i}`))));
    let writing: Promise<unknown> = Promise.resolve();
    const events = await takeEvents(store, "/pv/", start, 600, async () => {
      writing = Promise.all(Array.from({ length: 300 }, (_, i) => store.create(`/pv/new-${i}`, bytes(`${i}`))));
      await writing;
    });
    await writing;
    assert.deepEqual(
      events.map((e) => e.kv.modRevision),
      Array.from({ length: 600 }, (_, i) => start + i + 1),
    );
  });

  test("many concurrent writes are all visible in a watch, in revision order, none lost", async (t) => {
    const store = await openFor(t, open);
    const start = await store.currentRevision();
    const count = 500;
    let written: KeyValue[] = [];
    const events = await takeEvents(store, "/pv/", start, count, async () => {
      written = await Promise.all(
        Array.from({ length: count }, (_, i) => store.create(`/pv/${i}`, bytes(`value-${i}`))),
      );
    });
    const revisions = written.map((kv) => kv.modRevision).sort((x, y) => x - y);
    assert.deepEqual(
      revisions,
      Array.from({ length: count }, (_, i) => start + i + 1),
    );
    assert.deepEqual(
      events.map((e) => e.kv.modRevision),
      revisions,
    );
    const byKey = new Map(written.map((kv) => [kv.key, kv.modRevision]));
    for (const event of events) assert.equal(byKey.get(event.kv.key), event.kv.modRevision);
    // A watch started afterwards from the same point replays exactly the same history.
    const replay = await takeEvents(store, "/pv/", start, count);
    assert.deepEqual(replay.map(summary), events.map(summary));
  });
}

/**
 * Slow consumers, for backends that take a per-watcher buffer limit: writers never wait for a watcher; one that
 * stops reading still gets every event in order when it reads again, unless what it missed was compacted.
 */
export function slowWatcherConformance(name: string, open: (bufferLimit: number) => Promise<Store> | Store): void {
  describe(`${name} store with slow watchers`, { timeout: 30_000 }, () => {
    test("a watcher that stops reading never holds writers back and later receives every event in order", async (t) => {
      const store = await openFor(t, () => open(10));
      const controller = new AbortController();
      t.after(() => controller.abort());
      const start = await store.currentRevision();
      const iterator = store.watch("/", start, controller.signal)[Symbol.asyncIterator]();
      const waiting = iterator.next(); // caught up with the head: live, waiting for events
      await store.create("/a", bytes("0"));
      assert.equal(keyOf((await waiting).value), "/a");
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/b/${i}`, bytes(`${i}`))));
      const revisions: Revision[] = [];
      for (let i = 0; i < 100; i++) {
        const result = await iterator.next();
        assert.equal(result.done, false);
        assert.ok(result.value && result.value.type !== "progress");
        revisions.push(result.value.kv.modRevision);
      }
      assert.deepEqual(
        revisions,
        Array.from({ length: 100 }, (_, i) => start + i + 2),
      );
      const last = store.create("/c", bytes("live again"));
      assert.equal(keyOf((await iterator.next()).value), "/c");
      await last;
    });

    test("a watcher that fell behind past a compaction ends with CompactedError so the client re-lists", async (t) => {
      const store = await openFor(t, () => open(10));
      const controller = new AbortController();
      t.after(() => controller.abort());
      const iterator = store.watch("/", await store.currentRevision(), controller.signal)[Symbol.asyncIterator]();
      const waiting = iterator.next(); // caught up with the head: live, waiting for events
      const first = await store.create("/a", bytes("0"));
      assert.equal(keyOf((await waiting).value), "/a");
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.create(`/b/${i}`, bytes(`${i}`))));
      await store.compact(await store.currentRevision());
      const err = await rejectsWith(iterator.next(), CompactedError);
      assert.equal(err.requested, first.modRevision);
    });
  });
}

/** The key of a watch's next item, or undefined for progress or the end. */
const keyOf = (item: WatchEvent | WatchProgress | undefined) =>
  item && item.type !== "progress" ? item.kv.key : undefined;
