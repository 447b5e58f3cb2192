// Objects a node may read only by name: one list+watch per object (fieldSelector metadata.name=<name>, the only
// selector the Node authorizer accepts from a node), started by the first pod that needs it, stopped with the last.
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import { test, type TestContext } from "node:test";
import type { ConfigMap } from "../../api/core/types.js";
import { createClient, type Transport } from "../../client/index.js";
import { configMap } from "../../client/testing/objects.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { WatchedObjects } from "./watched.js";

/** Every list or watch of configMaps the cache makes ("list|watch namespace fieldSelector"), and the cache. */
async function setup(t: TestContext, refuse = false) {
  const server = await startTestApiServer(t);
  const admin = server.client("in-process");
  const inner = server.transport("in-process");
  const requests: string[] = [];
  const open = new Set<string>();
  const recording: Transport = async (request) => {
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/configmaps$/.exec(request.path);
    if (!match) return inner(request);
    const what = `${request.query.get("watch") === "true" ? "watch" : "list"} ${match[1]} ${request.query.get("fieldSelector")}`;
    requests.push(what);
    if (refuse) return { status: 403, headers: {}, body: new Uint8Array() };
    if (what.startsWith("watch")) {
      open.add(what);
      request.signal?.addEventListener("abort", () => open.delete(what), { once: true });
    }
    return inner(request);
  };
  const changes = new EventEmitter();
  const configMaps = new WatchedObjects<ConfigMap>({
    client: createClient(recording).configMaps,
    kind: "configmap",
    syncTimeoutMs: 200,
    log: () => undefined,
  });
  configMaps.onChange((key) => changes.emit("change", key));
  t.after(() => configMaps.stop());
  return { admin, configMaps, requests, open, changed: () => once(changes, "change") };
}

test("a configMap a pod needs is listed and watched by its name alone, and its changes reach the cache", async (t) => {
  const { admin, configMaps, requests, changed } = await setup(t);
  await admin.configMaps.create(configMap("default", "app", { greeting: "hello" }));
  await admin.configMaps.create(configMap("default", "other", { greeting: "not mine" }));
  configMaps.setNeeds("pod-1", ["default/app"]);
  await configMaps.ready("default/app");
  assert.equal(configMaps.get("default/app")?.data?.greeting, "hello");
  assert.equal(configMaps.get("default/other"), undefined, "only what a pod needs is read");

  const next = changed();
  const stored = await admin.configMaps.get("default", "app");
  await admin.configMaps.update({ ...stored, data: { greeting: "hello again" } });
  assert.deepEqual(await next, ["default/app"]);
  assert.equal(configMaps.get("default/app")?.data?.greeting, "hello again");
  assert.deepEqual(
    [...new Set(requests)],
    ["list default metadata.name=app", "watch default metadata.name=app"],
    "one list, then watches, of that one name",
  );
});

test("one watch per configMap however many pods need it, stopped when the last of them goes", async (t) => {
  const { admin, configMaps, requests, open } = await setup(t);
  await admin.configMaps.create(configMap("default", "shared", { a: "1" }));
  configMaps.setNeeds("pod-1", ["default/shared"]);
  configMaps.setNeeds("pod-2", ["default/shared", "default/missing"]);
  await Promise.all([configMaps.ready("default/shared"), configMaps.ready("default/missing")]);
  assert.equal(configMaps.get("default/missing"), undefined, "listed, and not there");
  assert.deepEqual(requests.filter((r) => r.startsWith("list")).sort(), [
    "list default metadata.name=missing",
    "list default metadata.name=shared",
  ]);
  configMaps.setNeeds("pod-1", []);
  assert.equal(configMaps.get("default/shared")?.data?.a, "1", "pod-2 still needs it");
  configMaps.setNeeds("pod-2", []);
  assert.equal(configMaps.get("default/shared"), undefined);
  assert.deepEqual(configMaps.owners(), []);
  // The watches end with their abort (the stream may already have been opened or be about to be).
  for (let i = 0; open.size > 0 && i < 100; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual([...open], [], "no watch is left open");
});

test("a watch that cannot list makes ready() fail with the kubelet's message", async (t) => {
  const { configMaps } = await setup(t, true);
  configMaps.setNeeds("pod-1", ["default/app"]);
  await assert.rejects(configMaps.ready("default/app"), {
    message: "failed to sync configmap cache: timed out waiting for the condition",
  });
});
