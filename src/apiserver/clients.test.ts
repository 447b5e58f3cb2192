// Clients other than kubectl: @kubernetes/client-node lists, watches (also resuming from a resourceVersion)
// and updates; data and resourceVersions survive a restart; concurrent conflicting updates have one winner.
import assert from "node:assert/strict";
import { test } from "node:test";
import { CoreV1Api, KubeConfig, Watch, type V1PersistentVolume } from "@kubernetes/client-node";
import { eventually, startStowage } from "../e2e/stowage.js";
import { call, pv } from "./testing/request.js";

function clientFor(kubeconfig: string) {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return { kc, core: kc.makeApiClient(CoreV1Api) };
}

test("client-node lists, updates and watches volumes, and resumes a watch from a resourceVersion", async (t) => {
  const stowage = await startStowage(t);
  const { kc, core } = clientFor(stowage.kubeconfig);
  for (const name of ["a", "b"]) await core.createPersistentVolume({ body: pv(name) as V1PersistentVolume });
  const list = await core.listPersistentVolume();
  assert.deepEqual(
    list.items.map((v) => v.metadata?.name),
    ["a", "b"],
  );
  const listRevision = list.metadata!.resourceVersion!;

  const events: string[] = [];
  const watch = new Watch(kc);
  const live = await watch.watch(
    "/api/v1/persistentvolumes",
    { resourceVersion: listRevision, allowWatchBookmarks: true },
    (type, object: V1PersistentVolume) =>
      events.push(`${type} ${object.metadata?.name} ${object.spec?.persistentVolumeReclaimPolicy}`),
    () => undefined,
  );
  const a = await core.readPersistentVolume({ name: "a" });
  a.spec!.persistentVolumeReclaimPolicy = "Delete";
  const updated = await core.replacePersistentVolume({ name: "a", body: a });
  assert.notEqual(updated.metadata?.resourceVersion, a.metadata?.resourceVersion);
  await core.deletePersistentVolume({ name: "b" });
  await eventually(() => (events.length >= 2 ? true : undefined));
  live.abort();
  // b is held by kubernetes.io/pv-protection: its deletion is a MODIFIED event setting deletionTimestamp
  assert.deepEqual(events, ["MODIFIED a Delete", "MODIFIED b Retain"]);

  // a second watch from the same list revision replays the same history
  const replay: string[] = [];
  const again = await watch.watch(
    "/api/v1/persistentvolumes",
    { resourceVersion: listRevision },
    (type, object: V1PersistentVolume) => replay.push(`${type} ${object.metadata?.name}`),
    () => undefined,
  );
  await eventually(() => (replay.length >= 2 ? true : undefined));
  again.abort();
  assert.deepEqual(replay, ["MODIFIED a", "MODIFIED b"]);
  const b = await core.readPersistentVolume({ name: "b" });
  assert.ok(b.metadata?.deletionTimestamp);
});

test("after a restart on the same data dir every object is there with the same resourceVersion", async (t) => {
  const first = await startStowage(t);
  const { core } = clientFor(first.kubeconfig);
  for (const name of ["one", "two", "three"])
    await core.createPersistentVolume({ body: pv(name) as V1PersistentVolume });
  const before = await core.listPersistentVolume();
  await first.stop();

  const second = await startStowage(t, { dataDir: first.dataDir });
  const after = await clientFor(second.kubeconfig).core.listPersistentVolume();
  assert.deepEqual(
    after.items.map((v) => [v.metadata?.name, v.metadata?.resourceVersion, v.metadata?.uid]),
    before.items.map((v) => [v.metadata?.name, v.metadata?.resourceVersion, v.metadata?.uid]),
  );
  // a watch resumed from before the restart replays what happened after that revision
  const oldest = before.items[0].metadata!.resourceVersion!;
  const answer = await call(
    second.transport(),
    "GET",
    `/api/v1/persistentvolumes?watch=1&resourceVersion=${oldest}&timeoutSeconds=1`,
  );
  const lines = answer.text
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((e) => `${e.type} ${e.object.metadata.name}`),
    ["ADDED two", "ADDED three"],
  );
});

test("of concurrent conflicting updates exactly one wins and the others get 409 Conflict", async (t) => {
  const stowage = await startStowage(t);
  await call(stowage.transport(), "POST", "/api/v1/persistentvolumes", pv("contested"));
  const current = (await call(stowage.transport(), "GET", "/api/v1/persistentvolumes/contested")).body;
  // over HTTPS with the admin kubeconfig's client certificate
  const overHttps = stowage.httpsTransport();
  const writers = Array.from({ length: 8 }, (_, i) => {
    const next = structuredClone(current);
    next.metadata.labels = { writer: String(i) };
    return call(overHttps, "PUT", "/api/v1/persistentvolumes/contested", next).then((r) => ({
      status: r.status,
      body: r.body as { reason?: string; message?: string },
    }));
  });
  const results = await Promise.all(writers);
  assert.equal(results.filter((r) => r.status === 200).length, 1);
  const losers = results.filter((r) => r.status !== 200);
  assert.equal(losers.length, 7);
  for (const loser of losers) {
    assert.equal(loser.status, 409);
    assert.equal(loser.body.reason, "Conflict");
    assert.match(loser.body.message!, /the object has been modified; please apply your changes to the latest version/);
  }
});
