import assert from "node:assert/strict";
import { test } from "node:test";
import { isAlreadyExists, isConflict, isInvalid, isNotFound } from "./errors.js";
import { startTestApiServer, transportKinds } from "../e2e/apiserver.js";
import { claim, configMap, namespace, volume } from "./testing/objects.js";

for (const kind of transportKinds) {
  test(`[${kind}] a volume can be created, read, updated, patched and deleted with typed results`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    const created = await client.persistentVolumes.create(volume("pv-1", "5Gi"));
    assert.equal(created.metadata.name, "pv-1");
    assert.ok(created.metadata.uid && created.metadata.resourceVersion);

    const read = await client.persistentVolumes.get("pv-1");
    assert.equal(read.spec.capacity?.storage, "5Gi");

    const updated = await client.persistentVolumes.update({
      ...read,
      metadata: { ...read.metadata, labels: { tier: "gold" } },
    });
    assert.equal(updated.metadata.labels?.tier, "gold");
    assert.notEqual(updated.metadata.resourceVersion, read.metadata.resourceVersion);

    const merged = await client.persistentVolumes.patch("pv-1", "merge", { metadata: { annotations: { note: "m" } } });
    assert.equal(merged.metadata.annotations?.note, "m");
    const jsonPatched = await client.persistentVolumes.patch("pv-1", "json", [
      { op: "replace", path: "/spec/persistentVolumeReclaimPolicy", value: "Delete" },
    ]);
    assert.equal(jsonPatched.spec.persistentVolumeReclaimPolicy, "Delete");
    const strategic = await client.persistentVolumes.patch("pv-1", "strategic", {
      metadata: { labels: { zone: "a" } },
    });
    assert.deepEqual(strategic.metadata.labels, { tier: "gold", zone: "a" });

    const status = await client.persistentVolumes.updateStatus({ ...strategic, status: { phase: "Available" } });
    assert.equal(status.status?.phase, "Available");

    // Admission adds kubernetes.io/pv-protection, so delete only marks the volume; dropping the finalizer
    // (the protection controller's job) lets it go.
    const deleting = await client.persistentVolumes.delete("pv-1");
    assert.ok(deleting?.metadata.deletionTimestamp);
    await client.persistentVolumes.patch("pv-1", "merge", { metadata: { finalizers: null } });
    await assert.rejects(client.persistentVolumes.get("pv-1"), (err) => isNotFound(err));
  });

  test(`[${kind}] a write from a stale resourceVersion is a conflict, a second create is AlreadyExists`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    const first = await client.persistentVolumes.create(volume("pv-c"));
    await client.persistentVolumes.update({ ...first, metadata: { ...first.metadata, labels: { a: "1" } } });
    await assert.rejects(
      client.persistentVolumes.update({ ...first, metadata: { ...first.metadata, labels: { a: "2" } } }),
      (err: Error) => isConflict(err) && /the object has been modified/.test(err.message),
    );
    await assert.rejects(client.persistentVolumes.create(volume("pv-c")), (err) => isAlreadyExists(err));
  });

  test(`[${kind}] delete honours a uid precondition, and deleteCollection removes what the selector picks`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    await client.namespaces.create(namespace("apps"));
    const kept = await client.configMaps.create({
      ...configMap("apps", "kept"),
      metadata: { namespace: "apps", name: "kept", labels: { app: "x" } },
    });
    await client.configMaps.create({
      ...configMap("apps", "gone"),
      metadata: { namespace: "apps", name: "gone", labels: { app: "y" } },
    });
    await assert.rejects(
      client.configMaps.delete("apps", "kept", { preconditions: { uid: "not-the-uid" } }),
      (err: Error) => isConflict(err) && /Precondition failed/.test(err.message),
    );
    await client.configMaps.delete("apps", "kept", { preconditions: { uid: kept.metadata.uid } });
    await client.configMaps.deleteCollection({ namespace: "apps", labelSelector: { app: "y" } });
    assert.deepEqual((await client.configMaps.list({ namespace: "apps" })).items, []);
  });

  test(`[${kind}] an invalid object is refused as Invalid with the field named`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    const bad = volume("pv-bad");
    delete bad.spec.capacity;
    await assert.rejects(
      client.persistentVolumes.create(bad),
      (err: Error) => isInvalid(err) && /capacity/.test(err.message),
    );
  });

  test(`[${kind}] claims are listed per namespace or across all, by label, and page by page`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    for (const ns of ["team-a", "team-b"]) await client.namespaces.create(namespace(ns));
    await client.persistentVolumeClaims.create(claim("team-a", "data"));
    await client.persistentVolumeClaims.create(claim("team-a", "logs"));
    await client.persistentVolumeClaims.create(claim("team-b", "data"));
    const inA = await client.persistentVolumeClaims.list({ namespace: "team-a" });
    assert.deepEqual(inA.items.map((c) => c.metadata.name).sort(), ["data", "logs"]);
    assert.equal(inA.items[0].kind, "PersistentVolumeClaim");
    const all = await client.persistentVolumeClaims.list();
    assert.equal(all.items.length, 3);
    assert.equal((await client.persistentVolumeClaims.get("team-b", "data")).metadata.namespace, "team-b");

    await client.persistentVolumes.create(volume("gold-1", "1Gi", { tier: "gold" }));
    await client.persistentVolumes.create(volume("iron-1", "1Gi", { tier: "iron" }));
    const gold = await client.persistentVolumes.list({ labelSelector: { tier: "gold" } });
    assert.deepEqual(
      gold.items.map((v) => v.metadata.name),
      ["gold-1"],
    );

    for (let i = 0; i < 5; i++) await client.configMaps.create(configMap("team-a", `cm-${i}`));
    const page = await client.configMaps.list({ namespace: "team-a", limit: 2 });
    assert.equal(page.items.length, 2);
    assert.ok(page.metadata.continue, "a partial page carries a continue token");
    const everything = await client.configMaps.listAll({ namespace: "team-a", limit: 2 });
    assert.deepEqual(
      everything.items.map((c) => c.metadata.name),
      ["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"],
    );
    await assert.rejects(client.persistentVolumeClaims.get("team-a", "nope"), (err) => isNotFound(err));
    const byName = await client.persistentVolumeClaims.list({ fieldSelector: "metadata.name=data" });
    assert.deepEqual(byName.items.map((c) => c.metadata.namespace).sort(), ["team-a", "team-b"]);
  });

  test(`[${kind}] a watch from a list's resourceVersion sees later changes as typed events, in order`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    await client.namespaces.create(namespace("apps"));
    await client.configMaps.create(configMap("apps", "before"));
    const list = await client.configMaps.list({ namespace: "apps" });
    const controller = new AbortController();
    t.after(() => controller.abort());
    const seen: string[] = [];
    const watching = (async () => {
      const watch = client.configMaps.watch({
        namespace: "apps",
        resourceVersion: list.metadata.resourceVersion,
        signal: controller.signal,
      });
      for await (const event of watch) {
        if (event.type === "BOOKMARK") continue;
        seen.push(`${event.type} ${event.object.metadata.name} ${event.object.data?.mode}`);
        if (seen.length === 3) break;
      }
    })();
    await client.configMaps.create(configMap("apps", "after", { mode: "one" }));
    await client.configMaps.patch("apps", "after", "merge", { data: { mode: "two" } });
    await client.configMaps.delete("apps", "after");
    await watching;
    assert.deepEqual(seen, ["ADDED after one", "MODIFIED after two", "DELETED after two"]);
  });
}
