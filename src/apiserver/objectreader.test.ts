// Admission reads other objects as upstream's plugins do, from informers — here this apiserver's watch cache: a
// claim's default StorageClass and a pod's namespace labels cost no store read (on etcd, a round trip of every
// such create), and an object the cache does not hold yet is still found in the store (a live lookup).
import assert from "node:assert/strict";
import { test } from "node:test";
import { findResource } from "../api/resources.js";
import { MemoryStore } from "../store/memory.js";
import type { Revision, WatchEvent } from "../store/store.js";
import { cachedReader } from "./objectreader.js";
import { GenericRegistry } from "./registry/generic.js";
import { encodeObject } from "./registry/codec.js";
import { createApiServer } from "./server.js";
import { call } from "./testing/request.js";
import { Cacher } from "./watchcache/cacher.js";

class CountingStore extends MemoryStore {
  readonly reads: string[] = [];
  override get(key: string) {
    this.reads.push(`get ${key}`);
    return super.get(key);
  }
  override list(prefix: string, opts?: Parameters<MemoryStore["list"]>[1]) {
    this.reads.push(`list ${prefix}`);
    return super.list(prefix, opts);
  }
}

async function apiServerOn(t: { after(fn: () => Promise<void>): void }, store: CountingStore) {
  const apiServer = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await apiServer.close();
    await store.close();
  });
  await apiServer.watchCachesPrimed();
  return apiServer.handler;
}

const defaultClass = {
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name: "fast", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  provisioner: "hostpath.csi.stowage.dev",
};

const claim = (name: string) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
});

test("a claim without a class gets the default StorageClass created just before, read from the watch cache", async (t) => {
  const store = new CountingStore();
  const handler = await apiServerOn(t, store);
  assert.equal((await call(handler, "POST", "/apis/storage.k8s.io/v1/storageclasses", defaultClass)).status, 201);
  store.reads.length = 0;
  const created = await call(handler, "POST", "/api/v1/namespaces/default/persistentvolumeclaims", claim("data"));
  assert.equal(created.status, 201);
  assert.equal(created.body.spec.storageClassName, "fast");
  assert.deepEqual(
    store.reads.filter((read) => read.includes("storageclasses")),
    [],
  );
});

test("Pod Security reads the namespace's labels from the cache and still refuses what its level forbids", async (t) => {
  const store = new CountingStore();
  const handler = await apiServerOn(t, store);
  const namespace = {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "locked", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
  };
  assert.equal((await call(handler, "POST", "/api/v1/namespaces", namespace)).status, 201);
  store.reads.length = 0;
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "root" },
    spec: { containers: [{ name: "c", image: "busybox", securityContext: { privileged: true } }] },
  };
  const refused = await call(handler, "POST", "/api/v1/namespaces/locked/pods", pod);
  assert.equal(refused.status, 403);
  assert.match(refused.body.message, /violates PodSecurity "restricted:latest": privileged/);
  assert.deepEqual(
    store.reads.filter((read) => read.includes("namespaces")),
    [],
  );
});

/** A store whose watches never deliver: what is written after a cache's list stays out of that cache. */
class SilentWatchStore extends MemoryStore {
  override watch(_prefix: string, _from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent> {
    const ended = new Promise<IteratorResult<WatchEvent>>((resolve) =>
      signal.addEventListener("abort", () => resolve({ done: true, value: undefined }), { once: true }),
    );
    return { [Symbol.asyncIterator]: () => ({ next: () => ended }) };
  }
}

test("an object the watch cache does not hold yet is read from the store, as a live lookup", async (t) => {
  const store = new SilentWatchStore();
  const def = findResource("storage.k8s.io", "v1", "storageclasses")!;
  const registry = new GenericRegistry(def, {
    store,
    admission: () => assert.fail("no writes here"),
    checkNamespace: async () => undefined,
    now: () => new Date(),
  });
  await store.create(
    registry.key(undefined, "listed"),
    encodeObject({ ...defaultClass, metadata: { name: "listed" } }),
  );
  const cacher = new Cacher(store, def, { log: () => undefined });
  cacher.start();
  t.after(async () => {
    cacher.stop();
    await store.close();
  });
  await cacher.primedOnce();
  await store.create(registry.key(undefined, "later"), encodeObject({ ...defaultClass, metadata: { name: "later" } }));
  const reader = cachedReader({ store, registryOf: () => registry, cacherOf: () => cacher });

  assert.equal((await reader.get("storage.k8s.io", "storageclasses", undefined, "later"))?.metadata.name, "later");
  assert.equal(await reader.get("storage.k8s.io", "storageclasses", undefined, "gone"), undefined);
  // a list is the cache's, as an informer's lister answers
  const names = (await reader.list("storage.k8s.io", "storageclasses")).map((sc) => sc.metadata.name);
  assert.deepEqual(names, ["listed"]);
});
