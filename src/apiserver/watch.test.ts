// List and watch semantics as client-go relies on them: pagination at one revision, resourceVersion "0" and
// unset, selectors turning updates into ADDED/DELETED, bookmarks, sendInitialEvents, 410 Gone after compaction,
// Tables for `kubectl get -w`.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { ApiHandler } from "../api/http.js";
import { MemoryStore } from "../store/memory.js";
import { createApiServer } from "./server.js";
import { call, pv } from "./testing/request.js";

async function server(t: TestContext, options: { bookmarkIntervalMs?: number } = {}) {
  const store = new MemoryStore();
  const apiServer = await createApiServer({ store, compactionIntervalMs: 0, ...options });
  t.after(async () => {
    await apiServer.close();
    await store.close();
  });
  // lists and watches below are the watch cache's (before it is primed the store answers them, just as well)
  await apiServer.watchCachesPrimed();
  return { store, handler: apiServer.handler };
}

/** A watch request through the handler; abort the controller to stop it. */
async function startWatch(handler: ApiHandler, url: string, accept: string) {
  const controller = new AbortController();
  const parsed = new URL(url, "http://x");
  const response = await handler({
    method: "GET",
    path: parsed.pathname,
    query: parsed.searchParams,
    headers: { accept },
    signal: controller.signal,
  });
  return { controller, response };
}

/** Reads a watch until `count` events arrived, then stops it. */
async function watchEvents(handler: ApiHandler, url: string, count: number, during?: () => Promise<void>) {
  const { controller, response } = await startWatch(handler, url, "application/json");
  assert.equal(response.status, 200);
  const events: Array<{
    type: string;
    object: {
      metadata: { name?: string; resourceVersion?: string; annotations?: Record<string, string> };
      rows?: Array<{ cells: unknown[] }>;
      code?: number;
      message?: string;
    };
  }> = [];
  const body = response.body as AsyncIterable<Uint8Array>;
  let pending = "";
  const duringDone = during?.();
  for await (const chunk of body) {
    pending += new TextDecoder().decode(chunk);
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      events.push(JSON.parse(pending.slice(0, nl)));
      pending = pending.slice(nl + 1);
    }
    if (events.length >= count) break;
  }
  controller.abort();
  await duringDone;
  return events;
}

test("a paginated list returns every object once, at one revision, with remainingItemCount", async (t) => {
  const { handler } = await server(t);
  for (let i = 0; i < 7; i++) await call(handler, "POST", "/api/v1/persistentvolumes", pv(`pv-${i}`));
  const first = await call(handler, "GET", "/api/v1/persistentvolumes?limit=3");
  assert.equal(first.body.items.length, 3);
  assert.equal(first.body.metadata.remainingItemCount, 4);
  // a write between pages is not seen by the rest of the list
  await call(handler, "POST", "/api/v1/persistentvolumes", pv("pv-late"));
  const names = first.body.items.map((i: { metadata: { name: string } }) => i.metadata.name);
  let token = first.body.metadata.continue;
  while (token) {
    const page = await call(handler, "GET", `/api/v1/persistentvolumes?limit=3&continue=${token}`);
    assert.equal(page.body.metadata.resourceVersion, first.body.metadata.resourceVersion);
    names.push(...page.body.items.map((i: { metadata: { name: string } }) => i.metadata.name));
    token = page.body.metadata.continue;
  }
  assert.deepEqual(names, ["pv-0", "pv-1", "pv-2", "pv-3", "pv-4", "pv-5", "pv-6"]);
});

test("a watch without resourceVersion starts with the existing objects as ADDED, then live changes", async (t) => {
  const { handler } = await server(t);
  await call(handler, "POST", "/api/v1/persistentvolumes", pv("old"));
  const events = await watchEvents(handler, "/api/v1/persistentvolumes?watch=1", 2, async () => {
    await new Promise((r) => setTimeout(r, 50));
    await call(handler, "POST", "/api/v1/persistentvolumes", pv("new"));
  });
  assert.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.name}`),
    ["ADDED old", "ADDED new"],
  );
});

test("a label-selected watch sees an object leave the selection as DELETED and enter it as ADDED", async (t) => {
  const { handler } = await server(t);
  await call(handler, "POST", "/api/v1/persistentvolumes", {
    ...pv("x"),
    metadata: { name: "x", labels: { tier: "fast" } },
  });
  const list = await call(handler, "GET", "/api/v1/persistentvolumes?labelSelector=tier%3Dfast");
  const rv = list.body.metadata.resourceVersion;
  const events = await watchEvents(
    handler,
    `/api/v1/persistentvolumes?watch=1&labelSelector=tier%3Dfast&resourceVersion=${rv}`,
    2,
    async () => {
      await new Promise((r) => setTimeout(r, 50));
      await call(handler, "PATCH", "/api/v1/persistentvolumes/x", { metadata: { labels: { tier: "slow" } } });
      await call(handler, "PATCH", "/api/v1/persistentvolumes/x", { metadata: { labels: { tier: "fast" } } });
    },
  );
  assert.deepEqual(
    events.map((e) => e.type),
    ["DELETED", "ADDED"],
  );
});

test("sendInitialEvents ends the initial ADDED events with an annotated BOOKMARK", async (t) => {
  const { handler } = await server(t);
  await call(handler, "POST", "/api/v1/persistentvolumes", pv("a"));
  const events = await watchEvents(
    handler,
    "/api/v1/persistentvolumes?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
    2,
  );
  assert.equal(events[0].type, "ADDED");
  assert.equal(events[1].type, "BOOKMARK");
  assert.equal(events[1].object.metadata.annotations?.["k8s.io/initial-events-end"], "true");
});

test("allowWatchBookmarks brings periodic BOOKMARK events carrying the latest resourceVersion", async (t) => {
  const { handler } = await server(t, { bookmarkIntervalMs: 50 });
  const created = await call(handler, "POST", "/api/v1/persistentvolumes", pv("a"));
  const events = await watchEvents(handler, "/api/v1/persistentvolumes?watch=1&allowWatchBookmarks=true", 2);
  assert.equal(events[1].type, "BOOKMARK");
  assert.equal(events[1].object.metadata.resourceVersion, created.body.metadata.resourceVersion);
});

test("a quiet watch's bookmarks carry the store's revision, so it resumes after compaction instead of relisting", async (t) => {
  const { handler, store } = await server(t, { bookmarkIntervalMs: 50 });
  const quiet = await call(handler, "POST", "/api/v1/persistentvolumes", pv("quiet"));
  const since = quiet.body.metadata.resourceVersion;
  const url = (rv: string) => `/api/v1/persistentvolumes?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`;
  // other resources move the store on while no PersistentVolume changes
  for (let i = 0; i < 5; i++) {
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: `c${i}` }, data: { i: String(i) } };
    assert.equal((await call(handler, "POST", "/api/v1/namespaces/default/configmaps", configMap)).status, 201);
  }
  const head = await store.currentRevision();
  assert.ok(head > Number(since));
  const [mark] = await watchEvents(handler, url(since), 1);
  assert.equal(mark.type, "BOOKMARK");
  assert.equal(mark.object.metadata.resourceVersion, String(head));

  await store.compact(head);
  // the informer reconnects from its bookmark: no 410, the next change arrives
  const resumed = await watchEvents(handler, url(String(head)), 1, async () => {
    await call(handler, "POST", "/api/v1/persistentvolumes", pv("later"));
  });
  assert.equal(resumed[0].type, "ADDED", JSON.stringify(resumed[0]));
  assert.equal(resumed[0].object.metadata.name, "later");
  // from the last PersistentVolume event it would have had to relist
  const stale = await watchEvents(handler, url(since), 1);
  assert.equal(stale[0].type, "ERROR");
  assert.equal(stale[0].object.code, 410);
});

test("a watch from a compacted revision ends with an ERROR event: 410 too old resource version", async (t) => {
  const { handler, store } = await server(t);
  const first = await call(handler, "POST", "/api/v1/persistentvolumes", pv("a"));
  await call(handler, "POST", "/api/v1/persistentvolumes", pv("b"));
  await store.compact(await store.currentRevision());
  const rv = Number(first.body.metadata.resourceVersion) - 1;
  const events = await watchEvents(handler, `/api/v1/persistentvolumes?watch=1&resourceVersion=${rv}`, 1);
  assert.equal(events[0].type, "ERROR");
  assert.equal(events[0].object.code, 410);
  assert.match(events[0].object.message!, /^too old resource version: \d+ \(\d+\)$/);
  // and a list at that revision is 410 Gone too
  const list = await call(handler, "GET", `/api/v1/persistentvolumes?resourceVersion=${rv}&resourceVersionMatch=Exact`);
  assert.equal(list.status, 410);
});

test("a Table watch (kubectl get -w) sends column definitions once and a row per event", async (t) => {
  const { handler } = await server(t);
  await call(handler, "POST", "/api/v1/persistentvolumes", pv("a"));
  const controller = new AbortController();
  const response = await handler({
    method: "GET",
    path: "/api/v1/persistentvolumes",
    query: new URLSearchParams("watch=1"),
    headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    signal: controller.signal,
  });
  setTimeout(
    () =>
      void call(handler, "PATCH", "/api/v1/persistentvolumes/a", { spec: { persistentVolumeReclaimPolicy: "Delete" } }),
    50,
  );
  const lines: Array<{
    type: string;
    object: { kind: string; columnDefinitions?: unknown[]; rows: Array<{ cells: unknown[] }> };
  }> = [];
  let pending = "";
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    pending += new TextDecoder().decode(chunk);
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      lines.push(JSON.parse(pending.slice(0, nl)));
      pending = pending.slice(nl + 1);
    }
    if (lines.length >= 2) break;
  }
  controller.abort();
  assert.equal(lines[0].object.kind, "Table");
  assert.ok(lines[0].object.columnDefinitions?.length);
  assert.equal(lines[1].object.columnDefinitions, undefined);
  assert.equal(lines[1].type, "MODIFIED");
  assert.equal(lines[1].object.rows[0].cells[0], "a");
  assert.equal(lines[1].object.rows[0].cells[3], "Delete");
});

test("Table watchers that join at different times each get column definitions first, then shared rows", async (t) => {
  const { handler } = await server(t);
  await call(handler, "POST", "/api/v1/persistentvolumes", pv("a"));
  const table = "application/json;as=Table;v=v1;g=meta.k8s.io";
  const first = await watchEventsAs(handler, "/api/v1/persistentvolumes?watch=1", table);
  const patched = await call(handler, "PATCH", "/api/v1/persistentvolumes/a", {
    spec: { persistentVolumeReclaimPolicy: "Delete" },
  });
  // the second starts after that write: its first line is the same event the first watcher sees without columns
  const rv = patched.body.metadata.resourceVersion;
  const second = await watchEventsAs(handler, `/api/v1/persistentvolumes?watch=1&resourceVersion=${rv}`, table);
  await call(handler, "PATCH", "/api/v1/persistentvolumes/a", { metadata: { labels: { zone: "b" } } });
  const [a, b] = await Promise.all([first.take(3), second.take(1)]);
  assert.ok(a[0].object.columnDefinitions?.length);
  assert.equal(a[1].object.columnDefinitions, undefined);
  assert.equal(a[2].object.columnDefinitions, undefined);
  assert.equal(b[0].type, "MODIFIED");
  assert.ok(b[0].object.columnDefinitions?.length, "the late watcher's first line has the columns");
  assert.deepEqual(a[2].object.rows, b[0].object.rows);
});

test("dryRun=All runs validation and admission but writes nothing", async (t) => {
  const { handler, store } = await server(t);
  const before = await store.currentRevision();
  const answer = await call(handler, "POST", "/api/v1/persistentvolumes?dryRun=All", pv("dry"));
  assert.equal(answer.status, 201);
  assert.deepEqual(answer.body.metadata.finalizers, ["kubernetes.io/pv-protection"]);
  assert.equal(await store.currentRevision(), before);
  assert.equal((await call(handler, "GET", "/api/v1/persistentvolumes/dry")).status, 404);
});

test("deleting a namespace deletes what is in it, then the namespace", async (t) => {
  const { handler } = await server(t);
  await call(handler, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "team" },
  });
  await call(handler, "POST", "/api/v1/namespaces/team/configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "c" },
  });
  const deleted = await call(handler, "DELETE", "/api/v1/namespaces/team");
  assert.equal(deleted.status, 200);
  assert.equal(deleted.body.status.phase, "Terminating");
  const refused = await call(handler, "POST", "/api/v1/namespaces/team/configmaps", {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "d" },
  });
  assert.equal(refused.status, 403);
  assert.match(refused.body.message, /unable to create new content in namespace team because it is being terminated/);
  const deadline = Date.now() + 5000;
  while ((await call(handler, "GET", "/api/v1/namespaces/team")).status !== 404) {
    assert.ok(Date.now() < deadline, "the namespace was not deleted");
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await call(handler, "GET", "/api/v1/namespaces/team/configmaps/c")).status, 404);
});

test("a claim without a class gets the newest default StorageClass", async (t) => {
  const { handler } = await server(t);
  const sc = (name: string) => ({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
    provisioner: "hostpath.csi.stowage.io",
  });
  await call(handler, "POST", "/apis/storage.k8s.io/v1/storageclasses", sc("older"));
  await new Promise((r) => setTimeout(r, 1100)); // creationTimestamp has one-second resolution
  await call(handler, "POST", "/apis/storage.k8s.io/v1/storageclasses", sc("newer"));
  const claim = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "c" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
  };
  const created = await call(handler, "POST", "/api/v1/namespaces/default/persistentvolumeclaims", claim);
  assert.equal(created.status, 201, created.text);
  assert.equal(created.body.spec.storageClassName, "newer");
  assert.deepEqual(created.body.metadata.finalizers, ["kubernetes.io/pvc-protection"]);
});

/** A watch in the given representation whose lines are taken as they arrive. */
async function watchEventsAs(handler: ApiHandler, url: string, accept: string) {
  const { controller, response } = await startWatch(handler, url, accept);
  const iterator = (response.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const lines: Array<{ type: string; object: { columnDefinitions?: unknown[]; rows: Array<{ cells: unknown[] }> } }> =
    [];
  let pending = "";
  return {
    async take(count: number) {
      while (lines.length < count) {
        const { value, done } = await iterator.next();
        if (done) break;
        pending += new TextDecoder().decode(value);
        for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
          lines.push(JSON.parse(pending.slice(0, nl)));
          pending = pending.slice(nl + 1);
        }
      }
      controller.abort();
      return lines;
    },
  };
}
