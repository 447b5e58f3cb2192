// Decoding as kube-apiserver does: the endpoint supplies a missing kind and apiVersion (the official Python
// client sends objects without them), query parameters are read with Go's conversions (watch=True, limit=+5,
// timeout=30s), and what cannot be read is a 400 worded as upstream's.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { createApiServer } from "./server.js";
import { call, pv, pvc } from "./testing/request.js";

const pvcs = "/api/v1/namespaces/default/persistentvolumeclaims";
const pvs = "/api/v1/persistentvolumes";
const classes = "/apis/storage.k8s.io/v1/storageclasses";

async function start(t: TestContext) {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  return server.handler;
}

const bare = (object: Record<string, unknown>) => {
  const { kind: _kind, apiVersion: _apiVersion, ...rest } = object;
  return rest;
};

test("an object without kind and apiVersion takes them from the URL on create and update", async (t) => {
  const handler = await start(t);
  const created = await call(handler, "POST", pvcs, bare(pvc("data")));
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.kind, "PersistentVolumeClaim");
  assert.equal(created.body.apiVersion, "v1");
  const stored = (await call(handler, "GET", `${pvcs}/data`)).body;
  assert.equal(stored.kind, "PersistentVolumeClaim");
  stored.metadata.labels = { tier: "db" };
  const updated = await call(handler, "PUT", `${pvcs}/data`, bare(stored));
  assert.equal(updated.status, 200, updated.text);
  assert.deepEqual(updated.body.metadata.labels, { tier: "db" });
  const klass = { metadata: { name: "fast" }, provisioner: "example.com/fast" };
  const createdClass = await call(handler, "POST", classes, klass);
  assert.equal(createdClass.status, 201, createdClass.text);
  assert.equal(createdClass.body.apiVersion, "storage.k8s.io/v1");
  assert.equal(createdClass.body.kind, "StorageClass");
});

test("an apiVersion of a group without its version takes the URL's version; another group is refused", async (t) => {
  const handler = await start(t);
  const klass = { apiVersion: "storage.k8s.io/", metadata: { name: "fast" }, provisioner: "example.com/fast" };
  const created = await call(handler, "POST", classes, klass);
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.apiVersion, "storage.k8s.io/v1");
  const wrong = await call(handler, "POST", pvcs, { ...bare(pvc("a")), apiVersion: "apps/v1" });
  assert.equal(wrong.status, 400);
  assert.equal(
    wrong.body.message,
    "the API version in the data (apps/v1) does not match the expected API version (v1)",
  );
});

test("query booleans read as upstream: True, t and 1 watch; False and 0 list", async (t) => {
  const handler = await start(t);
  assert.equal((await call(handler, "POST", pvs, pv("one"))).status, 201);
  for (const value of ["True", "t", "1", "TRUE", "yes"]) {
    const answer = await call(handler, "GET", `${pvs}?watch=${value}&timeoutSeconds=1`);
    assert.equal(answer.status, 200, answer.text);
    const first = JSON.parse(answer.text.split("\n")[0]);
    assert.equal(first.type, "ADDED", `watch=${value} should watch: ${answer.text}`);
  }
  for (const value of ["False", "false", "0", "FALSE"]) {
    const answer = await call(handler, "GET", `${pvs}?watch=${value}`);
    assert.equal(answer.body.kind, "PersistentVolumeList", `watch=${value} should list`);
  }
});

test("query integers read as Go's ParseInt, with its message for what is not one", async (t) => {
  const handler = await start(t);
  for (const name of ["a", "b", "c"]) assert.equal((await call(handler, "POST", pvs, pv(name))).status, 201);
  const page = await call(handler, "GET", `${pvs}?limit=%2B2`);
  assert.equal(page.body.items.length, 2, page.text);
  for (const [query, message] of [
    ["limit=abc", 'strconv.ParseInt: parsing "abc": invalid syntax'],
    ["limit=1.5", 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    ["limit=99999999999999999999", 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    ["watch=1&timeoutSeconds=x", 'strconv.ParseInt: parsing "x": invalid syntax'],
  ]) {
    const answer = await call(handler, "GET", `${pvs}?${query}`);
    assert.equal(answer.status, 400, `${query}: ${answer.text}`);
    assert.equal(answer.body.reason, "BadRequest");
    assert.equal(answer.body.message, message);
  }
});

test("the timeout parameter is a Go duration: 30s and 1m30s serve, a bad one is upstream's 400", async (t) => {
  const handler = await start(t);
  for (const timeout of ["30s", "1m30s", "1.5h", "0", "250ms"]) {
    const answer = await call(handler, "GET", `${pvs}?timeout=${timeout}`);
    assert.equal(answer.status, 200, `${timeout}: ${answer.text}`);
  }
  for (const [timeout, detail] of [
    ["abc", 'time: invalid duration "abc"'],
    ["30", 'time: missing unit in duration "30"'],
    ["5y", 'time: unknown unit "y" in duration "5y"'],
  ]) {
    const answer = await call(handler, "GET", `${pvs}?timeout=${timeout}`);
    assert.equal(answer.status, 400, `${timeout}: ${answer.text}`);
    assert.equal(answer.body.message, `invalid timeout specified in the request URL - ${detail}`);
  }
});

test("orphanDependents in the query is read as a query bool: False asks for the 202 of a delete still under way", async (t) => {
  const handler = await start(t);
  assert.equal((await call(handler, "POST", pvcs, pvc("held"))).status, 201);
  // the claim keeps kubernetes.io/pvc-protection, so its delete is accepted but not finished
  const answer = await call(handler, "DELETE", `${pvcs}/held?orphanDependents=False`);
  assert.equal(answer.status, 202, answer.text);
  assert.ok(answer.body.metadata.deletionTimestamp);
});
