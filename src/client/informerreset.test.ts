// An informer whose server comes back from a restored or reset store (its revision now behind the informer's
// resourceVersion) gets "Too large resource version" for every watch from there: as the Reflector, it relists
// and goes on from the server's state, instead of retrying the same version forever.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ApiRequest } from "../api/http.js";
import { interruptibleTransport, startTestApiServer } from "../e2e/apiserver.js";
import { createClient } from "./client.js";
import { Informer } from "./informer.js";
import { configMap, namespace } from "./testing/objects.js";
import type { Transport } from "./transport.js";

test("an informer relists when the server says its resourceVersion is too large, and follows the new store", async (t) => {
  const before = await startTestApiServer(t);
  const after = await startTestApiServer(t); // the store "restored from an old backup": far fewer revisions
  let server = before;
  const switchable: Transport = (request: ApiRequest) => server.transport("in-process")(request);
  const cut = interruptibleTransport(switchable);
  const informer = new Informer(createClient(cut.transport).configMaps, { log: () => undefined, initialBackoffMs: 10 });
  const controller = new AbortController();
  t.after(() => controller.abort());

  const old = before.client("in-process");
  await old.namespaces.create(namespace("apps"));
  for (let i = 0; i < 40; i++) await old.configMaps.create(configMap("apps", `old-${i}`));
  void informer.run(controller.signal);
  assert.equal(await informer.waitForSync(controller.signal), true);
  assert.equal(informer.keys().length, 40);

  const fresh = after.client("in-process");
  await fresh.namespaces.create(namespace("apps"));
  await fresh.configMaps.create(configMap("apps", "restored"));
  assert.ok(Number(informer.lastSyncResourceVersion) > Number(await after.store.currentRevision()));
  // The server now answers from the other store; the open watch breaks, as a restart would break it.
  server = after;
  cut.interrupt();
  cut.resume();
  for (let i = 0; i < 500 && informer.keys().join() !== "apps/restored"; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.deepEqual(informer.keys(), ["apps/restored"]);
  // and it watches on from the new store's revision
  await fresh.configMaps.create(configMap("apps", "later"));
  for (let i = 0; i < 500 && !informer.get("apps/later"); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(informer.get("apps/later"));
});
