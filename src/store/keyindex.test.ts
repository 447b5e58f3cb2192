import assert from "node:assert/strict";
import { test } from "node:test";
import { KeyIndex, rangeAt } from "./keyindex.js";
import type { KeyValue } from "./store.js";

const kv = (key: string, revision: number): KeyValue => ({
  key,
  value: new Uint8Array(),
  createRevision: revision,
  modRevision: revision,
});

/** A tiny deterministic generator, so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

test("lists exactly what a sorted map would, through creates, deletes, re-creates and reads in any order", () => {
  for (let seed = 1; seed <= 20; seed++) {
    const next = random(seed);
    const index = new KeyIndex();
    const model = new Map<string, KeyValue>();
    const keys = Array.from({ length: 40 }, (_, i) => `/${["a", "ab", "b", "a/"][i % 4]}${i % 13}`);
    for (let step = 1; step <= 400; step++) {
      const key = keys[Math.floor(next() * keys.length)];
      const roll = next();
      if (roll < 0.5) {
        index.set(kv(key, step));
        model.set(key, kv(key, step));
      } else if (roll < 0.8) {
        index.delete(key);
        model.delete(key);
      } else {
        const prefix = ["", "/a", "/a/", "/b"][Math.floor(next() * 4)];
        const after = next() < 0.3 ? keys[Math.floor(next() * keys.length)] : undefined;
        const limit = next() < 0.5 ? Infinity : 1 + Math.floor(next() * 5);
        const want = [...model.values()]
          .filter((v) => v.key.startsWith(prefix) && (after === undefined || v.key > after))
          .sort((x, y) => (x.key < y.key ? -1 : 1))
          .slice(0, limit);
        const context = `seed ${seed} step ${step} prefix ${prefix} after ${after} limit ${limit}`;
        assert.deepEqual(index.range(prefix, after, limit), want, context);
        assert.equal(index.count(prefix), [...model.keys()].filter((k) => k.startsWith(prefix)).length, context);
      }
    }
  }
});

test("a page as of an older revision merges the older values in key order and says whether more remain", () => {
  const index = new KeyIndex();
  for (const key of ["/a", "/c", "/e", "/g"]) index.set(kv(key, 10));
  // Since then: /b and /f were deleted (they existed), /c was created (it did not), /e was updated.
  const changed = new Map<string, KeyValue | undefined>([
    ["/b", kv("/b", 3)],
    ["/c", undefined],
    ["/e", kv("/e", 4)],
    ["/f", kv("/f", 5)],
  ]);
  const page = (after: string | undefined, limit: number) => {
    const { items, more } = rangeAt(index, "/", after, limit, changed);
    return `${items.map((v) => `${v.key}@${v.modRevision}`).join(" ")}${more ? " …" : ""}`;
  };
  assert.equal(page(undefined, Infinity), "/a@10 /b@3 /e@4 /f@5 /g@10");
  assert.equal(page(undefined, 2), "/a@10 /b@3 …");
  assert.equal(page("/b", 3), "/e@4 /f@5 /g@10");
});
