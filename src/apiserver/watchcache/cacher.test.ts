// The watch cache itself, on the memory store: a resumed watch replays exactly what it missed from the window, a
// resourceVersion pushed out of the window is 410 Gone, consistent lists see the latest write without reading the
// store, selectors and namespaces apply, and each event and object is encoded once for everyone.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { ResourceDefinition } from "../../api/resource.js";
import { resources } from "../../api/resources.js";
import { MemoryStore } from "../../store/memory.js";
import type { ListOptions } from "../../store/store.js";
import { objectKey } from "../registry/keys.js";
import { encodeObject } from "../registry/codec.js";
import { parseSelection } from "../registry/select.js";
import type { ObjectEvent, RegistryWatchEvent } from "../registry/watch.js";
import { createApiServer } from "../server.js";
import { call, pv as volume } from "../testing/request.js";
import { Cacher } from "./cacher.js";

const definition = (plural: string): ResourceDefinition =>
  resources.find((d) => d.group === "" && d.plural === plural)!;
const volumes = definition("persistentvolumes");
const configMaps = definition("configmaps");

/** A memory store that counts the lists it answers, and a primed cache of `def` on it. */
async function cache(t: TestContext, def: ResourceDefinition, capacity?: number) {
  const store = new MemoryStore();
  const lists = { count: 0 };
  const list = store.list.bind(store);
  store.list = (prefix: string, opts?: ListOptions) => {
    lists.count++;
    return list(prefix, opts);
  };
  const cacher = new Cacher(store, def, { capacity, log: () => undefined });
  cacher.start();
  await cacher.primedOnce();
  t.after(async () => {
    cacher.stop();
    await store.close();
  });
  return { store, cacher, lists };
}

const pv = (name: string, labels: Record<string, string> = {}) =>
  encodeObject({ apiVersion: "v1", kind: "PersistentVolume", metadata: { name, labels }, spec: {} } as never);
const cm = (namespace: string, name: string) =>
  encodeObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data: {} } as never);

/** The first `count` events of a cache watch (bookmarks that are not sent left out), then it is stopped. */
async function take(
  cacher: Cacher,
  request: { resourceVersion?: string; labelSelector?: string; namespace?: string },
  count: number,
  def = volumes,
): Promise<RegistryWatchEvent[]> {
  const controller = new AbortController();
  const selection = parseSelection(def, request.labelSelector ?? null, null);
  const events = await cacher.watch(request.namespace, {
    selection,
    resourceVersion: request.resourceVersion,
    signal: controller.signal,
  });
  assert.ok(events, "the cache serves this watch");
  const out: RegistryWatchEvent[] = [];
  for await (const event of events) {
    if (event.type === "BOOKMARK" && event.startMarker) continue;
    out.push(event);
    if (out.length === count) break;
  }
  controller.abort();
  return out;
}

const names = (events: RegistryWatchEvent[]) =>
  events.map((e) => (e.type === "ERROR" ? "ERROR" : `${e.type} ${name(e)}`));
const name = (e: RegistryWatchEvent) =>
  "value" in e ? (JSON.parse(Buffer.from(e.value).toString()) as { metadata: { name: string } }).metadata.name : "";

test("a watch from a resourceVersion inside the window replays exactly the events after it, then live ones", async (t) => {
  const { store, cacher } = await cache(t, volumes);
  const a = await store.create(objectKey(volumes, undefined, "a"), pv("a"));
  await store.create(objectKey(volumes, undefined, "b"), pv("b"));
  await store.update(objectKey(volumes, undefined, "a"), pv("a", { changed: "yes" }), a.modRevision);
  await store.delete(objectKey(volumes, undefined, "b"));
  const events = take(cacher, { resourceVersion: String(a.modRevision) }, 4);
  await new Promise((resolve) => setImmediate(resolve));
  await store.create(objectKey(volumes, undefined, "c"), pv("c"));
  assert.deepEqual(names(await events), ["ADDED b", "MODIFIED a", "DELETED b", "ADDED c"]);
});

test("a resourceVersion pushed out of the window is 410 Gone: too old resource version", async (t) => {
  const { store, cacher } = await cache(t, volumes, 3);
  const first = await store.create(objectKey(volumes, undefined, "v0"), pv("v0"));
  for (let i = 1; i < 6; i++) await store.create(objectKey(volumes, undefined, `v${i}`), pv(`v${i}`));
  const [gone] = await take(cacher, { resourceVersion: String(first.modRevision) }, 1);
  assert.equal(gone.type, "ERROR");
  assert.equal(gone.type === "ERROR" && gone.status.code, 410);
  assert.equal(gone.type === "ERROR" && gone.status.reason, "Expired");
  assert.match(gone.type === "ERROR" ? gone.status.message! : "", /^too old resource version: \d+ \(\d+\)$/);
  // the last three are still there to resume from
  const kept = await take(cacher, { resourceVersion: String(first.modRevision + 2) }, 3);
  assert.deepEqual(names(kept), ["ADDED v3", "ADDED v4", "ADDED v5"]);
});

test("a consistent list includes the write just made and is answered without reading the store", async (t) => {
  const { store, cacher, lists } = await cache(t, volumes);
  await store.create(objectKey(volumes, undefined, "fresh"), pv("fresh"));
  // other resources move the store's revision on: the list still waits for nothing it cannot prove
  await store.create(objectKey(configMaps, "default", "elsewhere"), cm("default", "elsewhere"));
  const before = lists.count;
  const page = await cacher.list(undefined, { selection: {} });
  assert.ok(page);
  assert.deepEqual(
    page.items.map((kv) => kv.key),
    [objectKey(volumes, undefined, "fresh")],
  );
  assert.equal(page.revision, await store.currentRevision());
  assert.equal(lists.count, before, "the store was not listed");
  // what the cache does not serve it leaves to the store: continue tokens, limits, Exact
  assert.equal(await cacher.list(undefined, { selection: {}, limit: 1 }), undefined);
  assert.equal(
    await cacher.list(undefined, { selection: {}, resourceVersion: "1", resourceVersionMatch: "Exact" }),
    undefined,
  );
  assert.ok(await cacher.list(undefined, { selection: {}, limit: 1, resourceVersion: "0" }));
});

test("label selectors and namespaces are applied from the cache, in lists and in watches", async (t) => {
  const { store, cacher } = await cache(t, volumes);
  await store.create(objectKey(volumes, undefined, "fast-1"), pv("fast-1", { tier: "fast" }));
  const slow = await store.create(objectKey(volumes, undefined, "slow-1"), pv("slow-1", { tier: "slow" }));
  const fast = parseSelection(volumes, "tier=fast", null);
  const page = await cacher.list(undefined, { selection: fast, resourceVersion: "0" });
  assert.deepEqual(
    page?.objects?.map((o) => o.metadata.name),
    ["fast-1"],
  );

  const events = take(cacher, { resourceVersion: String(slow.modRevision), labelSelector: "tier=fast" }, 2);
  await new Promise((resolve) => setImmediate(resolve));
  // slow-1 enters the selection, then fast-1 leaves it
  const entered = await store.update(
    objectKey(volumes, undefined, "slow-1"),
    pv("slow-1", { tier: "fast" }),
    slow.modRevision,
  );
  const fast1 = await store.get(objectKey(volumes, undefined, "fast-1"));
  await store.update(objectKey(volumes, undefined, "fast-1"), pv("fast-1", { tier: "slow" }), fast1!.modRevision);
  const got = await events;
  assert.deepEqual(names(got), ["ADDED slow-1", "DELETED fast-1"]);
  assert.equal((got[0] as ObjectEvent).revision, entered.modRevision);

  const maps = await cache(t, configMaps);
  await maps.store.create(objectKey(configMaps, "one", "a"), cm("one", "a"));
  await maps.store.create(objectKey(configMaps, "two", "b"), cm("two", "b"));
  await maps.store.create(objectKey(configMaps, "one", "c"), cm("one", "c"));
  const inOne = await maps.cacher.list("one", { selection: {} });
  assert.deepEqual(
    inOne?.items.map((kv) => kv.key),
    [objectKey(configMaps, "one", "a"), objectKey(configMaps, "one", "c")],
  );
  const all = await maps.cacher.list(undefined, { selection: {} });
  assert.equal(all?.items.length, 3);
  const watched = await take(maps.cacher, { resourceVersion: "0", namespace: "two" }, 1, configMaps);
  assert.deepEqual(names(watched), ["ADDED b"]);
});

test("each event is encoded once: every watcher is handed the same bytes, every list the same object bytes", async (t) => {
  const { store, cacher } = await cache(t, volumes);
  const start = String(await store.currentRevision());
  const watches = [take(cacher, { resourceVersion: start }, 1), take(cacher, { resourceVersion: start }, 1)];
  await new Promise((resolve) => setImmediate(resolve));
  await store.create(objectKey(volumes, undefined, "shared"), pv("shared"));
  const [[one], [two]] = (await Promise.all(watches)) as ObjectEvent[][];
  assert.ok(one.line && one.line.byteLength > 0);
  assert.equal(one.line, two.line, "one Buffer for both watchers");
  assert.match(Buffer.from(one.line).toString(), /^\{"type":"ADDED","object":\{.*"resourceVersion":"\d+".*\}\}\n$/);
  const first = await cacher.list(undefined, { selection: {} });
  const second = await cacher.list(undefined, { selection: {}, resourceVersion: "0" });
  assert.equal(first?.bytes?.[0], second?.bytes?.[0], "one Buffer for both lists");
});

test("a watcher whose client stops reading is ended once its buffer is full, and the others go on", async (t) => {
  const store = new MemoryStore();
  const cacher = new Cacher(store, volumes, { watcherBufferLimit: 5, log: () => undefined });
  cacher.start();
  await cacher.primedOnce();
  t.after(async () => {
    cacher.stop();
    await store.close();
  });
  const start = String(await store.currentRevision());
  const controller = new AbortController();
  const stuck = await cacher.watch(undefined, { selection: {}, resourceVersion: start, signal: controller.signal });
  assert.ok(stuck);
  const reading = take(cacher, { resourceVersion: start }, 20);
  await new Promise((resolve) => setImmediate(resolve));
  for (let i = 0; i < 20; i++) await store.create(objectKey(volumes, undefined, `v${i}`), pv(`v${i}`));
  assert.equal((await reading).length, 20);
  let delivered = 0;
  for await (const event of stuck) if (event.type === "ADDED") delivered++;
  // it got what it had room for, then its watch ended (the client watches again from there)
  assert.ok(delivered >= 5 && delivered < 20, `delivered ${delivered}`);
  controller.abort();
});

test("an apiserver restarted on the same store rebuilds its cache: lists whole, watches resume from before", async (t) => {
  const store = new MemoryStore();
  const first = await createApiServer({ store, compactionIntervalMs: 0, eventTtlMs: 0 });
  const a = await call(first.handler, "POST", "/api/v1/persistentvolumes", volume("a"));
  await call(first.handler, "POST", "/api/v1/persistentvolumes", volume("b"));
  await first.close();
  const second = await createApiServer({ store, compactionIntervalMs: 0, eventTtlMs: 0 });
  t.after(async () => {
    await second.close();
    await store.close();
  });
  const list = await call(second.handler, "GET", "/api/v1/persistentvolumes");
  assert.deepEqual(
    (list.body.items as Array<{ metadata: { name: string } }>).map((item) => item.metadata.name),
    ["a", "b"],
  );
  const controller = new AbortController();
  const url = new URL(`http://x/api/v1/persistentvolumes?watch=1&resourceVersion=${a.body.metadata.resourceVersion}`);
  const response = await second.handler({
    method: "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: {},
    signal: controller.signal,
  });
  const seen: string[] = [];
  let pending = "";
  const reading = (async () => {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      pending += Buffer.from(chunk).toString();
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const event = JSON.parse(pending.slice(0, nl)) as { type: string; object: { metadata: { name: string } } };
        pending = pending.slice(nl + 1);
        seen.push(`${event.type} ${event.object.metadata.name}`);
      }
      if (seen.length >= 2) break;
    }
  })();
  await call(second.handler, "POST", "/api/v1/persistentvolumes", volume("c"));
  await reading;
  controller.abort();
  assert.deepEqual(seen, ["ADDED b", "ADDED c"]);
});
