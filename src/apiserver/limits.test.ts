// kube-apiserver's limits on what one request may make the server hold or store: a body over 3 MiB, an object
// over etcd's 1.5 MiB, and a JSON Patch whose copies would grow an object past that (the copy bomb: a few hundred
// bytes doubling an object per operation). Each is refused with upstream's answer and leaves the store unchanged.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { createApiServer } from "./server.js";
import { call, pv } from "./testing/request.js";

const pvs = "/api/v1/persistentvolumes";
const pods = "/api/v1/namespaces/default/pods";

async function start(t: TestContext) {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  return { store, handler: server.handler };
}

const pod = (name: string, args: string[]) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: { containers: [{ name: "app", image: "busybox", args }] },
});

test("an object over 1.5 MiB is answered as etcd's 'request is too large', on create and on update", async (t) => {
  const { store, handler } = await start(t);
  const big = ["x".repeat(1024 * 1024), "y".repeat(600 * 1024)];
  const before = await store.currentRevision();
  const created = await call(handler, "POST", pods, pod("big", big));
  assert.equal(created.status, 500, created.text);
  assert.deepEqual(
    { kind: created.body.kind, code: created.body.code, reason: created.body.reason, message: created.body.message },
    { kind: "Status", code: 500, reason: undefined, message: "etcdserver: request is too large" },
  );
  assert.equal(await store.currentRevision(), before);

  assert.equal((await call(handler, "POST", pods, pod("small", ["a"]))).status, 201);
  const revision = await store.currentRevision();
  // a pod's image may change: a 1.6 MiB one
  const stored = (await call(handler, "GET", `${pods}/small`)).body;
  stored.spec.containers[0].image = big.join("");
  const grown = await call(handler, "PUT", `${pods}/small`, stored);
  assert.equal(grown.status, 500, grown.text);
  assert.equal(grown.body.message, "etcdserver: request is too large");
  assert.equal(await store.currentRevision(), revision);
  // just under the limit is an ordinary object
  assert.equal((await call(handler, "POST", pods, pod("large", ["x".repeat(1400 * 1024)]))).status, 201);
});

test("the JSON Patch copy bomb is refused at the copy that would overgrow the object, before it is built", async (t) => {
  const { store, handler } = await start(t);
  const created = await call(handler, "POST", pvs, {
    ...pv("bomb"),
    metadata: { name: "bomb", annotations: { seed: "x".repeat(30) } },
  });
  assert.equal(created.status, 201, created.text);
  const before = await store.currentRevision();
  // Each copy puts the annotations map inside itself: the object doubles with every operation (30 of them would
  // ask for ~30 GiB). The whole patch is under 3 KB.
  const ops = Array.from({ length: 30 }, (_, i) => ({
    op: "copy",
    from: "/metadata/annotations",
    path: `/metadata/annotations/k${i}`,
  }));
  const body = JSON.stringify(ops);
  assert.ok(body.length < 3000, String(body.length));
  const heap = process.memoryUsage().heapUsed;
  const answer = await call(handler, "PATCH", `${pvs}/bomb`, body, { "content-type": "application/json-patch+json" });
  assert.equal(answer.status, 422, answer.text.slice(0, 500));
  assert.equal(answer.body.reason, "Invalid");
  const cause = answer.body.details?.causes?.[0]?.message ?? "";
  assert.match(
    cause,
    /^Unable to complete the copy, the accumulated size increase of copy is \d+, which would make the object larger than the 1572864 bytes an object may have$/,
  );
  // It stopped at the copy that crossed the limit: the bytes it had added stay below it.
  assert.ok(Number(/copy is (\d+)/.exec(cause)?.[1]) < 3 * 1572864);
  assert.ok(process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, "the patch built a huge object first");
  assert.equal(await store.currentRevision(), before);

  // A patch with copies that stays small applies.
  const fine = await call(
    handler,
    "PATCH",
    `${pvs}/bomb`,
    JSON.stringify([{ op: "copy", from: "/metadata/annotations/seed", path: "/metadata/annotations/again" }]),
    { "content-type": "application/json-patch+json" },
  );
  assert.equal(fine.status, 200, fine.text);
  assert.equal(fine.body.metadata.annotations.again, "x".repeat(30));
});

test("a body over 3 MiB is 413 RequestEntityTooLarge with upstream's message", async (t) => {
  const { store, handler } = await start(t);
  const before = await store.currentRevision();
  const answer = await call(handler, "POST", pods, pod("huge", ["x".repeat(3 * 1024 * 1024)]));
  assert.equal(answer.status, 413, answer.text);
  assert.equal(answer.body.reason, "RequestEntityTooLarge");
  assert.equal(await store.currentRevision(), before);
});
