import assert from "node:assert/strict";
import { test } from "node:test";
import { startCompactor } from "./compactor.js";
import { MemoryStore } from "./memory.js";
import { CompactedError } from "./store.js";
import { bytes } from "./testing/conformance.js";

test("the compactor forgets history one interval old and keeps every current value", async (t) => {
  const store = new MemoryStore();
  const controller = new AbortController();
  t.after(() => {
    controller.abort();
    return store.close();
  });
  const first = await store.create("/pv/a", bytes("a1"));
  await store.update("/pv/a", bytes("a2"), first.modRevision);
  startCompactor(store, { intervalMs: 10, signal: controller.signal });
  // Eventually a list as of the first write is refused: that history was compacted.
  while (true) {
    try {
      await store.list("/pv/", { at: first.modRevision });
    } catch (err) {
      assert.ok(err instanceof CompactedError);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.equal(new TextDecoder().decode((await store.get("/pv/a"))!.value), "a2");
});
