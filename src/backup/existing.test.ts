import assert from "node:assert/strict";
import { test } from "node:test";
import { isContainedIn, mergePatch } from "./existing.js";

const contained = [
  {
    name: "fields the server defaulted do not count",
    part: { spec: { a: 1 } },
    whole: { spec: { a: 1, b: 2 } },
    want: true,
  },
  { name: "a changed value counts", part: { data: { color: "blue" } }, whole: { data: { color: "red" } }, want: false },
  { name: "a list must match element by element", part: { l: [1, 2] }, whole: { l: [1, 2, 3] }, want: false },
  { name: "a label gone counts", part: { metadata: { labels: { app: "x" } } }, whole: { metadata: {} }, want: false },
];
for (const c of contained) test(c.name, () => assert.equal(isContainedIn(c.part, c.whole), c.want));

test("the merge patch sets what changed, removes what the backup does not have, and leaves the rest", () => {
  const from = { data: { color: "red", extra: "x", size: "large" }, metadata: { labels: {} }, kind: "ConfigMap" };
  const to = { data: { color: "blue", size: "large" }, metadata: { labels: { app: "shop" } }, kind: "ConfigMap" };
  assert.deepEqual(mergePatch(from, to), {
    data: { color: "blue", extra: null },
    metadata: { labels: { app: "shop" } },
  });
});
