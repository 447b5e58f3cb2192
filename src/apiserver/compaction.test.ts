// Periodic compaction keeps one interval of history: a watch can resume from any revision seen since the
// previous tick, and older ones get 410 Gone so that the client re-lists.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { Compactor } from "./compaction.js";
import { createApiServer } from "./server.js";
import { call, pv } from "./testing/request.js";

test("each compaction tick forgets history up to the revision of the previous tick", async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const compactor = new Compactor(store, 60_000, () => undefined);
  const early = (await call(server.handler, "POST", "/api/v1/persistentvolumes", pv("early"))).body.metadata
    .resourceVersion;
  await compactor.tick(); // remembers the current revision, compacts nothing yet
  const late = (await call(server.handler, "POST", "/api/v1/persistentvolumes", pv("late"))).body.metadata
    .resourceVersion;
  const stillThere = await call(
    server.handler,
    "GET",
    `/api/v1/persistentvolumes?resourceVersion=${Number(early) - 1}&resourceVersionMatch=Exact`,
  );
  assert.equal(stillThere.status, 200);

  await compactor.tick(); // compacts up to the first tick's revision
  const gone = await call(
    server.handler,
    "GET",
    `/api/v1/persistentvolumes?resourceVersion=${Number(early) - 1}&resourceVersionMatch=Exact`,
  );
  assert.equal(gone.status, 410);
  assert.equal(gone.body.reason, "Expired");
  assert.match(gone.body.message, /^too old resource version: \d+ \(\d+\)$/);
  const recent = await call(
    server.handler,
    "GET",
    `/api/v1/persistentvolumes?resourceVersion=${late}&resourceVersionMatch=Exact`,
  );
  assert.equal(recent.status, 200);
  assert.equal(recent.body.items.length, 2);
});
