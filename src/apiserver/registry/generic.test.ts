// What the generic registry owns on every write, as upstream's registry strategies do it: metadata.generation
// only for kinds that track it, and each strategy's PrepareForUpdate before validation.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test, type TestContext } from "node:test";
import { parse as parseYaml } from "yaml";
import { MemoryStore } from "../../store/memory.js";
import { createApiServer } from "../server.js";
import { call, pv, pvc } from "../testing/request.js";

async function server(t: TestContext) {
  const store = new MemoryStore();
  const apiServer = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await apiServer.close();
    await store.close();
  });
  return apiServer.handler;
}

const statefulSet = async () =>
  parseYaml(await readFile(new URL("../testdata/statefulset.yaml", import.meta.url), "utf8")) as {
    metadata: Record<string, unknown>;
    spec: { replicas: number };
  };

test("PersistentVolumes, claims, pods and StorageClasses get no metadata.generation (upstream 1.32)", async (t) => {
  const handler = await server(t);
  const volume = await call(handler, "POST", "/api/v1/persistentvolumes", pv("plain"));
  assert.equal(volume.status, 201);
  assert.equal(volume.body.metadata.generation, undefined);
  const claim = await call(handler, "POST", "/api/v1/namespaces/default/persistentvolumeclaims", pvc("data"));
  assert.equal(claim.status, 201);
  assert.equal(claim.body.metadata.generation, undefined);
  const pod = await call(handler, "POST", "/api/v1/namespaces/default/pods", {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web" },
    spec: { containers: [{ name: "web", image: "nginx" }] },
  });
  assert.equal(pod.status, 201);
  assert.equal(pod.body.metadata.generation, undefined);
  const storageClass = await call(handler, "POST", "/apis/storage.k8s.io/v1/storageclasses", {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "fast" },
    provisioner: "hostpath.csi.k8s.io",
  });
  assert.equal(storageClass.status, 201);
  assert.equal(storageClass.body.metadata.generation, undefined);

  // a spec change still bumps nothing, and a client cannot set one on update
  const patched = await call(handler, "PATCH", "/api/v1/persistentvolumes/plain", {
    metadata: { generation: 7 },
    spec: { capacity: { storage: "10Gi" } },
  });
  assert.equal(patched.status, 200, patched.text);
  assert.equal(patched.body.spec.capacity.storage, "10Gi");
  assert.equal(patched.body.metadata.generation, undefined);
});

test("a StatefulSet starts at generation 1 and counts spec changes, not status or label changes", async (t) => {
  const handler = await server(t);
  const set = await statefulSet();
  set.metadata.generation = 9; // a client cannot choose it
  const created = await call(handler, "POST", "/apis/apps/v1/namespaces/default/statefulsets", set);
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.metadata.generation, 1);
  const url = "/apis/apps/v1/namespaces/default/statefulsets/mysql";
  const labelled = await call(handler, "PATCH", url, { metadata: { labels: { tier: "db" } } });
  assert.equal(labelled.body.metadata.generation, 1);
  const scaled = await call(handler, "PATCH", url, { spec: { replicas: 5 } });
  assert.equal(scaled.body.metadata.generation, 2);
  const status = await call(handler, "PATCH", `${url}/status`, { status: { replicas: 5, observedGeneration: 2 } });
  assert.equal(status.status, 200, status.text);
  assert.equal(status.body.metadata.generation, 2);
});

test("a VolumeSnapshot (a custom resource upstream) starts at generation 1", async (t) => {
  const handler = await server(t);
  const created = await call(handler, "POST", "/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots", {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "snap" },
    spec: { source: { persistentVolumeClaimName: "data" } },
  });
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.metadata.generation, 1);
});

test("a PersistentVolume's phase change through /status stamps status.lastPhaseTransitionTime", async (t) => {
  const handler = await server(t);
  const created = await call(handler, "POST", "/api/v1/persistentvolumes", pv("phased"));
  const first = created.body.status.lastPhaseTransitionTime;
  assert.match(first, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // the writer sends only the new phase: the server stamps when it changed
  const stale = await call(handler, "PUT", "/api/v1/persistentvolumes/phased/status", {
    ...created.body,
    status: { phase: "Available" },
  });
  assert.equal(stale.status, 200, stale.text);
  assert.equal(stale.body.status.phase, "Available");
  assert.match(stale.body.status.lastPhaseTransitionTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const stamped = Date.parse(stale.body.status.lastPhaseTransitionTime);
  assert.ok(stamped >= Date.parse(first), `${stale.body.status.lastPhaseTransitionTime} is not after ${first}`);

  // the same phase again keeps the time, even when the writer leaves it out
  const same = await call(handler, "PUT", "/api/v1/persistentvolumes/phased/status", {
    ...stale.body,
    status: { phase: "Available" },
  });
  assert.equal(same.status, 200, same.text);
  assert.equal(same.body.status.lastPhaseTransitionTime, stale.body.status.lastPhaseTransitionTime);
});

test("a namespace's spec.finalizers change only through /finalize", async (t) => {
  const handler = await server(t);
  await call(handler, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "team" },
  });
  const put = await call(handler, "PATCH", "/api/v1/namespaces/team", { spec: { finalizers: [] } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(put.body.spec.finalizers, ["kubernetes"]);
  const current = (await call(handler, "GET", "/api/v1/namespaces/team")).body;
  const finalized = await call(handler, "PUT", "/api/v1/namespaces/team/finalize", {
    ...current,
    spec: { finalizers: [] },
  });
  assert.equal(finalized.status, 200, finalized.text);
  assert.deepEqual(finalized.body.spec.finalizers ?? [], []);
});
