import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "./memory.js";
import { WatchTooSlowError } from "./store.js";
import { bytes, storeConformance } from "./testing/conformance.js";

storeConformance("memory", () => new MemoryStore());

test("a watcher that stops reading is ended with WatchTooSlowError instead of holding events forever", async (t) => {
  const store = new MemoryStore({ watch: { bufferLimit: 10 } });
  t.after(() => store.close());
  const controller = new AbortController();
  const iterator = store.watch("/", 0, controller.signal)[Symbol.asyncIterator]();
  await store.create("/a", bytes("0"));
  assert.equal((await iterator.next()).value?.kv.key, "/a"); // registered and reading
  for (let i = 0; i < 11; i++) await store.create(`/b${i}`, bytes("x")); // writers never wait
  await assert.rejects(iterator.next(), WatchTooSlowError);
  assert.equal((await store.list("/")).items.length, 12);
});
