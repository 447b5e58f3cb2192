import assert from "node:assert/strict";
import { test } from "node:test";
import type { ConfigMap, PersistentVolume } from "../api/core/types.js";
import { MemoryStore, createApiServer } from "../e2e/parts.js";
import { createClient } from "./client.js";
import { httpTransport } from "./http.js";
import { inProcessTransport } from "./inprocess.js";
import { createInformerFactory } from "./factory.js";
import { Informer } from "./informer.js";
import { eventually, interruptibleTransport, startTestApiServer, transportKinds } from "../e2e/apiserver.js";
import { claim, configMap, namespace, volume } from "./testing/objects.js";

const quiet = (): void => {};

for (const kind of transportKinds) {
  test(`[${kind}] an informer caches every object, then delivers adds, updates and deletes as they happen`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    await client.namespaces.create(namespace("apps"));
    await client.configMaps.create(labelled(configMap("apps", "a"), "gold"));
    await client.configMaps.create(labelled(configMap("apps", "b"), "iron"));
    const informer = new Informer(client.configMaps, { log: quiet });
    informer.addIndexer("tier", (cm) => [cm.metadata.labels?.tier ?? ""]);
    const log: string[] = [];
    informer.onAdd((cm) => log.push(`add ${cm.metadata.name}`));
    informer.onUpdate((old, cm) =>
      log.push(`update ${cm.metadata.name} ${old.metadata.labels?.tier}->${cm.metadata.labels?.tier}`),
    );
    informer.onDelete((cm) => log.push(`delete ${cm.metadata.name}`));
    const controller = new AbortController();
    t.after(() => controller.abort());
    void informer.run(controller.signal);
    assert.equal(await informer.waitForSync(controller.signal), true);
    assert.deepEqual(log.sort(), ["add a", "add b"]);
    assert.equal(informer.get("apps/b")?.metadata.labels?.tier, "iron");
    assert.deepEqual(
      informer.byIndex("tier", "gold").map((cm) => cm.metadata.name),
      ["a"],
    );

    log.length = 0;
    await client.configMaps.patch("apps", "b", "merge", { metadata: { labels: { tier: "gold" } } });
    await client.configMaps.delete("apps", "a");
    await client.configMaps.create(configMap("apps", "c"));
    await eventually(() => log.length === 3, "three events");
    assert.deepEqual(log, ["update b iron->gold", "delete a", "add c"]);
    assert.deepEqual(
      informer.byIndex("tier", "gold").map((cm) => cm.metadata.name),
      ["b"],
    );
    assert.equal(informer.get("apps/a"), undefined);
    assert.deepEqual(informer.keys().sort(), ["apps/b", "apps/c"]);
  });

  test(`[${kind}] an informer that missed changes behind a compaction relists after 410 Gone and delivers them`, async (t) => {
    const server = await startTestApiServer(t);
    const client = server.client(kind);
    const cut = interruptibleTransport(server.transport(kind));
    const watched = createClient(cut.transport);
    await client.namespaces.create(namespace("apps"));
    for (const name of ["a", "b", "c"]) await client.configMaps.create(configMap("apps", name));
    const informer = new Informer(watched.configMaps, { log: quiet, initialBackoffMs: 10 });
    const deleted: string[] = [];
    informer.onDelete((cm) => deleted.push(cm.metadata.name ?? ""));
    const controller = new AbortController();
    t.after(() => controller.abort());
    void informer.run(controller.signal);
    await informer.waitForSync(controller.signal);

    cut.interrupt(); // the informer's watch drops and cannot reconnect yet
    await client.configMaps.delete("apps", "a");
    await client.configMaps.patch("apps", "b", "merge", { data: { seen: "after-compaction" } });
    await client.configMaps.create(configMap("apps", "d"));
    await server.compact(); // the informer's resourceVersion is now too old to watch from
    cut.resume();

    await eventually(() => informer.get("apps/d"), "apps/d in the cache after the relist");
    assert.deepEqual(informer.keys().sort(), ["apps/b", "apps/c", "apps/d"]);
    assert.equal(informer.get("apps/b")?.data?.seen, "after-compaction");
    assert.deepEqual(deleted, ["a"], "the deletion the watch missed is still delivered");
  });
}

const labelled = (cm: ConfigMap, tier: string): ConfigMap => ({
  ...cm,
  metadata: { ...cm.metadata, labels: { tier } },
});

test("cached objects are frozen: changing one in place throws instead of corrupting other readers", async (t) => {
  const client = (await startTestApiServer(t)).client("in-process");
  await client.persistentVolumes.create(volume("pv-frozen"));
  const informer = new Informer(client.persistentVolumes, { log: quiet });
  const controller = new AbortController();
  t.after(() => controller.abort());
  void informer.run(controller.signal);
  await informer.waitForSync(controller.signal);
  const cached = informer.get("pv-frozen") as PersistentVolume;
  assert.throws(() => {
    (cached.spec as { persistentVolumeReclaimPolicy: string }).persistentVolumeReclaimPolicy = "Delete";
  }, TypeError);
  const copy = structuredClone(cached);
  copy.spec.persistentVolumeReclaimPolicy = "Delete"; // the way to change one: copy first
  assert.equal(informer.get("pv-frozen")?.spec.persistentVolumeReclaimPolicy, "Retain");
});

test("an informer that strips managedFields caches objects without them, and an update from its cache keeps the stored ones", async (t) => {
  const client = (await startTestApiServer(t)).client("in-process");
  const created = await client.persistentVolumes.create(volume("pv-lean"));
  assert.ok(created.metadata.managedFields?.length, "the apiserver records who set what");
  const informer = new Informer(client.persistentVolumes, { log: quiet, stripManagedFields: true });
  const controller = new AbortController();
  t.after(() => controller.abort());
  void informer.run(controller.signal);
  await informer.waitForSync(controller.signal);
  assert.equal(informer.get("pv-lean")?.metadata.managedFields, undefined);

  const copy = structuredClone(informer.get("pv-lean") as PersistentVolume);
  copy.metadata.labels = { tier: "gold" };
  await client.persistentVolumes.update(copy);
  await eventually(() => informer.get("pv-lean")?.metadata.labels?.tier === "gold", "the update in the cache");
  assert.equal(informer.get("pv-lean")?.metadata.managedFields, undefined);
  const stored = await client.persistentVolumes.get("pv-lean");
  assert.ok(
    (stored.metadata.managedFields?.length ?? 0) >= (created.metadata.managedFields?.length ?? 0),
    "the stored managedFields are still there",
  );
});

test("periodic resync re-delivers unchanged objects, and a late handler first gets every cached object", async (t) => {
  const client = (await startTestApiServer(t)).client("in-process");
  await client.namespaces.create(namespace("apps"));
  await client.persistentVolumeClaims.create(claim("apps", "data"));
  const informer = new Informer(client.persistentVolumeClaims, { log: quiet, resyncPeriodMs: 20 });
  const controller = new AbortController();
  t.after(() => controller.abort());
  void informer.run(controller.signal);
  await informer.waitForSync(controller.signal);
  const late: string[] = [];
  informer.onAdd((pvc) => late.push(`${pvc.metadata.namespace}/${pvc.metadata.name}`));
  assert.deepEqual(late, ["apps/data"]);
  let resyncs = 0;
  informer.onUpdate((old, pvc) => {
    if (old === pvc) resyncs++;
  });
  await eventually(() => resyncs >= 2, "two resyncs");
  assert.deepEqual(
    informer.list({ namespace: "apps" }).map((pvc) => pvc.metadata.name),
    ["data"],
  );
  assert.deepEqual(informer.list({ namespace: "other" }), []);
});

test("a shared informer factory gives every controller the same informer and waits for all to sync", async (t) => {
  const client = (await startTestApiServer(t)).client("in-process");
  await client.persistentVolumes.create(volume("pv-shared"));
  const factory = createInformerFactory(client, { log: quiet });
  assert.equal(factory.persistentVolumes, factory.persistentVolumes);
  assert.equal(factory.informerFor(client.persistentVolumes), factory.persistentVolumes);
  const claims = factory.persistentVolumeClaims;
  const controller = new AbortController();
  t.after(() => controller.abort());
  factory.start(controller.signal);
  const nodes = factory.nodes; // made after start: starts at once
  assert.equal(await factory.waitForSync(controller.signal), true);
  assert.ok(nodes.hasSynced() && claims.hasSynced());
  assert.ok(factory.persistentVolumes.get("pv-shared"));
});

test("an informer with a label selector sees objects enter and leave its selection as adds and deletes", async (t) => {
  const client = (await startTestApiServer(t)).client("http");
  await client.namespaces.create(namespace("apps"));
  await client.configMaps.create(labelled(configMap("apps", "x"), "gold"));
  await client.configMaps.create(labelled(configMap("apps", "y"), "iron"));
  const informer = new Informer(client.configMaps, { labelSelector: { tier: "gold" }, log: quiet });
  const log: string[] = [];
  informer.onAdd((cm) => log.push(`add ${cm.metadata.name}`));
  informer.onDelete((cm) => log.push(`delete ${cm.metadata.name}`));
  const controller = new AbortController();
  t.after(() => controller.abort());
  void informer.run(controller.signal);
  await informer.waitForSync(controller.signal);
  assert.deepEqual(informer.keys(), ["apps/x"]);
  await client.configMaps.patch("apps", "x", "merge", { metadata: { labels: { tier: "iron" } } });
  await client.configMaps.patch("apps", "y", "merge", { metadata: { labels: { tier: "gold" } } });
  await eventually(() => log.length === 3, "three events");
  assert.deepEqual(log, ["add x", "delete x", "add y"]);
  assert.deepEqual(informer.keys(), ["apps/y"]);
});

test("[http] an informer rides out an apiserver restart: it retries with backoff and catches up", async (t) => {
  const store = new MemoryStore();
  t.after(() => store.close());
  const first = await createApiServer({ store, log: () => {} });
  const listener = await first.listen("127.0.0.1:0");
  const transport = httpTransport({ server: listener.url });
  t.after(() => transport.close());
  const client = createClient(transport);
  await client.namespaces.create(namespace("apps"));
  await client.configMaps.create(configMap("apps", "before"));
  const informer = new Informer(client.configMaps, { log: quiet, initialBackoffMs: 20, maxBackoffMs: 100 });
  const controller = new AbortController();
  t.after(() => controller.abort());
  void informer.run(controller.signal);
  await informer.waitForSync(controller.signal);

  await listener.close(); // the watch connection drops; reconnects are refused for a while
  await first.close();
  const second = await createApiServer({ store, log: () => {} });
  t.after(() => second.close());
  const inProcess = createClient(inProcessTransport(second.handler));
  await inProcess.configMaps.create(configMap("apps", "while-down"));
  const again = await second.listen(new URL(listener.url).host); // same address: the kubeconfig still points here
  t.after(() => again.close());

  await eventually(() => informer.get("apps/while-down"), "the change made while the apiserver was down");
  assert.deepEqual(informer.keys().sort(), ["apps/before", "apps/while-down"]);
});
