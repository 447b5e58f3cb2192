// --event-ttl: Events go an hour (by default) after they were last written; the rest, and everything else, stay.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { EventExpiry } from "./eventttl.js";
import { createApiServer } from "./server.js";
import { call, pv } from "./testing/request.js";

const events = "/api/v1/namespaces/default/events";
const hour = 3_600_000;

function event(name: string, last: Date, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name, namespace: "default" },
    involvedObject: { kind: "PersistentVolume", name: "pv", apiVersion: "v1" },
    reason: "Test",
    message: name,
    type: "Normal",
    source: { component: "test" },
    firstTimestamp: last.toISOString().replace(/\.\d+Z$/, "Z"),
    lastTimestamp: last.toISOString().replace(/\.\d+Z$/, "Z"),
    count: 1,
    ...extra,
  };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

test("a sweep deletes the Events last written more than the TTL ago, and only those", async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0, eventSweepIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const start = Date.now();
  assert.equal((await call(server.handler, "POST", events, event("once", new Date(start)))).status, 201);
  // seen again 40 minutes later (the recorder's update of a series renews it, as a write renews upstream's lease)
  const repeated = event("repeated", new Date(start), { lastTimestamp: iso(start + 40 * 60_000), count: 5 });
  assert.equal((await call(server.handler, "POST", events, repeated)).status, 201);
  assert.equal((await call(server.handler, "POST", "/api/v1/persistentvolumes", pv("kept"))).status, 201);
  let now = start + 30 * 60_000;
  const expiry = new EventExpiry(
    store,
    hour,
    0,
    () => undefined,
    () => now,
  );
  assert.equal(await expiry.sweep(), 0, "nothing is an hour old yet");
  now = start + 62 * 60_000;
  assert.equal(await expiry.sweep(), 1);
  const names = (await call(server.handler, "GET", events)).body.items.map(
    (e: { metadata: { name: string } }) => e.metadata.name,
  );
  assert.deepEqual(names, ["repeated"]);
  now = start + 102 * 60_000;
  assert.equal(await expiry.sweep(), 1);
  assert.deepEqual((await call(server.handler, "GET", events)).body.items, []);
  assert.equal((await call(server.handler, "GET", "/api/v1/persistentvolumes/kept")).status, 200);
});

test("the apiserver sweeps on its own: an Event older than --event-ttl disappears", async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0, eventTtlMs: 1000, eventSweepIntervalMs: 50 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  assert.equal((await call(server.handler, "POST", events, event("short-lived", new Date()))).status, 201);
  assert.equal((await call(server.handler, "POST", "/api/v1/persistentvolumes", pv("kept"))).status, 201);
  for (let i = 0; i < 250; i++) {
    if ((await call(server.handler, "GET", `${events}/short-lived`)).status === 404) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal((await call(server.handler, "GET", `${events}/short-lived`)).status, 404);
  assert.equal((await call(server.handler, "GET", "/api/v1/persistentvolumes/kept")).status, 200);
});
