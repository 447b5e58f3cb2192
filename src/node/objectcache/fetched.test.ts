// Objects a node may only GET: read when first asked for, answered from the cache while fresh, read again once
// stale (sooner while the object is not yet what its readers wait for), and every change told to onChange.
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { test, type TestContext } from "node:test";
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import { createClient, type Transport } from "../../client/index.js";
import { claim } from "../../client/testing/objects.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { FetchedObjects } from "./fetched.js";

/** A client whose GETs of claims are counted, and a cache of claims over it. */
async function setup(t: TestContext, ages: { maxAgeMs: number; waitingMaxAgeMs?: number }) {
  const server = await startTestApiServer(t);
  const admin = server.client("in-process");
  const inner = server.transport("in-process");
  let gets = 0;
  const counting: Transport = (request) => {
    if (request.method === "GET" && request.path.includes("/persistentvolumeclaims/")) gets++;
    return inner(request);
  };
  const changes = new EventEmitter();
  let now = 1_000_000;
  const claims = new FetchedObjects<PersistentVolumeClaim>({
    client: createClient(counting).persistentVolumeClaims,
    waiting: (c) => c?.status?.phase !== "Bound",
    ...ages,
    log: () => undefined,
    now: () => now,
  });
  claims.onChange((key) => changes.emit("change", key));
  t.after(() => claims.stop());
  return {
    admin,
    claims,
    changed: () => once(changes, "change"),
    gets: () => gets,
    /** Moves the cache's clock on. */
    advance: (ms: number) => (now += ms),
  };
}

test("a claim is read by GET when first asked for, then answered from the cache while it is fresh", async (t) => {
  const { admin, claims, changed, gets } = await setup(t, { maxAgeMs: 60_000 });
  await admin.persistentVolumeClaims.create(claim("default", "data"));
  const arrived = changed();
  assert.equal(claims.get("default/data"), undefined, "not read yet");
  assert.deepEqual(await arrived, ["default/data"]);
  const first = claims.get("default/data");
  assert.equal(first?.metadata.name, "data");
  assert.ok(Object.isFrozen(first), "cache objects are read-only");
  for (let i = 0; i < 10; i++) assert.equal(claims.get("default/data"), first, "the same object, no new GET");
  assert.equal(gets(), 1);
});

test("a stale claim is read again: a change, then a delete, reach onChange and the cache", async (t) => {
  const { admin, claims, changed, advance } = await setup(t, { maxAgeMs: 5_000, waitingMaxAgeMs: 500 });
  await admin.persistentVolumeClaims.create(claim("default", "data"));
  let next = changed();
  claims.get("default/data");
  await next;
  const stored = await admin.persistentVolumeClaims.get("default", "data");
  await admin.persistentVolumeClaims.update({ ...stored, metadata: { ...stored.metadata, labels: { tier: "gold" } } });
  assert.equal(claims.get("default/data")?.metadata.labels, undefined, "fresh: the cached copy is the answer");
  next = changed();
  advance(600); // past the freshness of a claim still waiting to be bound
  claims.get("default/data");
  await next;
  assert.equal(claims.get("default/data")?.metadata.labels?.tier, "gold");
  next = changed();
  await admin.persistentVolumeClaims.delete("default", "data");
  advance(600);
  claims.get("default/data");
  await next;
  assert.ok(claims.get("default/data")?.metadata.deletionTimestamp, "kept by kubernetes.io/pvc-protection");
  next = changed();
  await admin.persistentVolumeClaims.patch("default", "data", "merge", { metadata: { finalizers: null } });
  advance(600);
  claims.get("default/data");
  await next;
  assert.equal(claims.get("default/data"), undefined, "gone from the API: gone from the cache");
});

test("a bound claim is read again only after the long freshness, and a reader can ask for a read at once", async (t) => {
  const { admin, claims, changed, gets, advance } = await setup(t, { maxAgeMs: 5_000, waitingMaxAgeMs: 500 });
  const created = await admin.persistentVolumeClaims.create(claim("default", "data"));
  await admin.persistentVolumeClaims.updateStatus({ ...created, status: { phase: "Bound" } });
  const first = changed();
  claims.get("default/data");
  await first;
  assert.equal(claims.get("default/data")?.status?.phase, "Bound");
  advance(4_000); // long past the short freshness, within the long one (less its 10 % jitter)
  claims.get("default/data");
  assert.equal(gets(), 1, "a bound claim is not read again yet");
  const stored = await admin.persistentVolumeClaims.get("default", "data");
  await admin.persistentVolumeClaims.update({ ...stored, metadata: { ...stored.metadata, labels: { tier: "gold" } } });
  const next = changed();
  claims.refresh("default/data");
  await next;
  assert.equal(claims.get("default/data")?.metadata.labels?.tier, "gold");
  assert.equal(gets(), 2);
  advance(6_000);
  claims.get("default/data");
  assert.equal(gets(), 3, "past the long freshness: read again");
});

test("a write's answer replaces the cached copy, an older one does not", async (t) => {
  const { admin, claims, changed } = await setup(t, { maxAgeMs: 60_000 });
  const created = await admin.persistentVolumeClaims.create(claim("default", "data"));
  const first = changed();
  claims.get("default/data");
  await first;
  const written = await admin.persistentVolumeClaims.updateStatus({ ...created, status: { phase: "Bound" } });
  claims.observe(written);
  assert.equal(claims.get("default/data")?.status?.phase, "Bound");
  claims.observe(created);
  assert.equal(claims.get("default/data")?.status?.phase, "Bound", "an older resourceVersion is ignored");
});
