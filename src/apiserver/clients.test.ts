// Clients other than kubectl: @kubernetes/client-node lists, watches (also resuming from a resourceVersion)
// and updates; data and resourceVersions survive a restart; concurrent conflicting updates have one winner;
// its typed calls as users write them (no kind, selectors, pages, watches, every patch type, status writes).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  StorageV1Api,
  Watch,
  type V1ConfigMap,
  type V1PersistentVolume,
  type V1PersistentVolumeClaim,
} from "@kubernetes/client-node";
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

test("client-node: typed CRUD without kind, selectors, pages, every patch type and status writes", async (t) => {
  const stowage = await startStowage(t);
  const { kc, core } = clientFor(stowage.kubeconfig);
  const storage = kc.makeApiClient(StorageV1Api);
  const namespace = "default";
  const claim = (name: string, labels: Record<string, string>): V1PersistentVolumeClaim => ({
    metadata: { name, labels },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "manual" },
  });
  const status = (err: unknown) => (err instanceof ApiException ? err.code : err);
  const refused = async (write: Promise<unknown>) =>
    write.then(
      () => "succeeded",
      (err: unknown) => status(err),
    );
  const checks: [string, () => Promise<void>][] = [
    [
      "creates a claim sent without kind or apiVersion",
      async () => {
        const created = await core.createNamespacedPersistentVolumeClaim({
          namespace,
          body: claim("data", { app: "db" }),
        });
        assert.equal(created.kind, "PersistentVolumeClaim");
        assert.equal(created.apiVersion, "v1");
      },
    ],
    [
      "creates a StorageClass without kind and reads its defaults",
      async () => {
        const made = await storage.createStorageClass({
          body: { metadata: { name: "manual" }, provisioner: "x.io/none" },
        });
        assert.equal(made.reclaimPolicy, "Delete");
        assert.equal(made.volumeBindingMode, "Immediate");
      },
    ],
    [
      "reads a claim back as Pending",
      async () => {
        const read = await core.readNamespacedPersistentVolumeClaim({ name: "data", namespace });
        assert.equal(read.status?.phase, "Pending");
      },
    ],
    [
      "replaces a claim read back, kind removed",
      async () => {
        const read = await core.readNamespacedPersistentVolumeClaim({ name: "data", namespace });
        delete read.kind;
        read.metadata!.annotations = { note: "replaced" };
        const replaced = await core.replaceNamespacedPersistentVolumeClaim({ name: "data", namespace, body: read });
        assert.equal(replaced.metadata?.annotations?.note, "replaced");
      },
    ],
    [
      "lists claims by a set-based label selector",
      async () => {
        await core.createNamespacedPersistentVolumeClaim({ namespace, body: claim("logs", { app: "web" }) });
        const list = await core.listNamespacedPersistentVolumeClaim({ namespace, labelSelector: "app in (db)" });
        assert.deepEqual(
          list.items.map((c) => c.metadata?.name),
          ["data"],
        );
      },
    ],
    [
      "lists across namespaces with a field selector",
      async () => {
        const list = await core.listPersistentVolumeClaimForAllNamespaces({ fieldSelector: "metadata.name=logs" });
        assert.deepEqual(
          list.items.map((c) => c.metadata?.name),
          ["logs"],
        );
      },
    ],
    [
      "pages with limit and continue",
      async () => {
        for (let i = 0; i < 5; i++)
          await core.createNamespacedConfigMap({
            namespace,
            body: { metadata: { name: `page-${i}`, labels: { set: "pages" } } },
          });
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await core.listNamespacedConfigMap({
            namespace,
            labelSelector: "set=pages",
            limit: 2,
            _continue: token,
          });
          pages++;
          seen.push(...page.items.map((c) => c.metadata!.name!));
          token = page.metadata?._continue;
        } while (token);
        assert.equal(pages, 3);
        assert.deepEqual(seen, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
      },
    ],
    [
      "counts the items left after a partial page",
      async () => {
        const page = await core.listNamespacedConfigMap({ namespace, limit: 1 });
        assert.equal(page.metadata?.remainingItemCount, 4);
      },
    ],
    [
      "watches from a list's resourceVersion with a label selector",
      async () => {
        const list = await core.listNamespacedConfigMap({ namespace, labelSelector: "set=pages" });
        const seen: string[] = [];
        const live = await new Watch(kc).watch(
          `/api/v1/namespaces/${namespace}/configmaps`,
          { labelSelector: "set=pages", resourceVersion: list.metadata!.resourceVersion },
          (type, object: V1ConfigMap) => seen.push(`${type} ${object.metadata?.name}`),
          () => undefined,
        );
        // not selected, and written first: a watch that ignored the selector would report it first
        await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "unselected" } } });
        const body = { metadata: { labels: { seen: "yes" } } };
        const options = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
        await core.patchNamespacedConfigMap({ name: "page-0", namespace, body }, options);
        await eventually(() => (seen.length > 0 ? true : undefined));
        live.abort();
        assert.deepEqual(seen, ["MODIFIED page-0"]);
      },
    ],
    [
      "patches with a JSON patch (client-node's default)",
      async () => {
        const body = [{ op: "add", path: "/data", value: { k: "v" } }];
        const patched = await core.patchNamespacedConfigMap({ name: "page-1", namespace, body });
        assert.deepEqual(patched.data, { k: "v" });
      },
    ],
    [
      "patches with a merge patch, null removing a key",
      async () => {
        const body = { data: { k: null, other: "x" } };
        const options = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
        const patched = await core.patchNamespacedConfigMap({ name: "page-1", namespace, body }, options);
        assert.deepEqual(patched.data, { other: "x" });
      },
    ],
    [
      "patches with a strategic merge patch, labels merged",
      async () => {
        const body = { metadata: { labels: { tier: "gold" } } };
        const options = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);
        const patched = await core.patchNamespacedPersistentVolumeClaim({ name: "data", namespace, body }, options);
        assert.deepEqual(patched.metadata?.labels, { app: "db", tier: "gold" });
      },
    ],
    [
      "refuses a JSON patch whose test fails with 422",
      async () => {
        const body = [{ op: "test", path: "/data/other", value: "no" }];
        assert.equal(await refused(core.patchNamespacedConfigMap({ name: "page-1", namespace, body })), 422);
      },
    ],
    [
      "replaces a volume's status and leaves its spec",
      async () => {
        await core.createPersistentVolume({ body: pv("vol-a") as V1PersistentVolume });
        const read = await core.readPersistentVolume({ name: "vol-a" });
        read.status = { phase: "Failed", message: "written by client-node" };
        read.spec!.capacity = { storage: "9Gi" };
        const written = await core.replacePersistentVolumeStatus({ name: "vol-a", body: read });
        assert.equal(written.status?.message, "written by client-node");
        assert.equal(written.spec?.capacity?.storage, "5Gi");
      },
    ],
    [
      "merge-patches a claim's status",
      async () => {
        const options = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
        const body = { status: { phase: "Lost" } };
        const patched = await core.patchNamespacedPersistentVolumeClaimStatus(
          { name: "data", namespace, body },
          options,
        );
        assert.equal(patched.status?.phase, "Lost");
      },
    ],
    [
      "answers a second create with 409 and a missing object with 404",
      async () => {
        assert.equal(
          await refused(core.createNamespacedPersistentVolumeClaim({ namespace, body: claim("data", {}) })),
          409,
        );
        assert.equal(await refused(core.readNamespacedConfigMap({ name: "missing", namespace })), 404);
      },
    ],
    [
      "stores nothing on a dry-run create",
      async () => {
        await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "dry" } }, dryRun: "All" });
        assert.equal(await refused(core.readNamespacedConfigMap({ name: "dry", namespace })), 404);
      },
    ],
    [
      "deletes a collection by label selector",
      async () => {
        await core.deleteCollectionNamespacedConfigMap({ namespace, labelSelector: "set=pages" });
        const left = await core.listNamespacedConfigMap({ namespace, labelSelector: "set=pages" });
        assert.deepEqual(left.items, []);
      },
    ],
  ];
  const failures: string[] = [];
  for (const [name, check] of checks) {
    try {
      await check();
    } catch (err) {
      failures.push(
        `${name}: ${err instanceof ApiException ? `${err.code} ${JSON.stringify(err.body)}` : String(err)}`,
      );
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(checks.length >= 15);
});
