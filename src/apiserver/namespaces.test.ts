// Namespace lifecycle's admission reads namespaces as upstream's does, from a watch-fed cache: a create into a
// namespace known active costs no store read (on etcd, a round trip), and one into a namespace just deleted is still
// refused at once (the live lookup upstream forces after a DELETE).
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { createApiServer } from "./server.js";
import { call } from "./testing/request.js";

class CountingStore extends MemoryStore {
  readonly reads: string[] = [];
  override get(key: string) {
    this.reads.push(key);
    return super.get(key);
  }
}

const configMap = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name } });

test("a create into an active namespace reads no namespace from the store; one just deleted is refused", async (t) => {
  const store = new CountingStore();
  const apiServer = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await apiServer.close();
    await store.close();
  });
  const { handler } = apiServer;
  assert.equal(
    (await call(handler, "POST", "/api/v1/namespaces", { ...configMap("team"), kind: "Namespace" })).status,
    201,
  );
  // the watch shows the namespace to the cache within moments; until then the lookup is live
  const deadline = Date.now() + 5_000;
  for (let i = 0; ; i++) {
    store.reads.length = 0;
    assert.equal((await call(handler, "POST", "/api/v1/namespaces/team/configmaps", configMap(`c-${i}`))).status, 201);
    if (!store.reads.some((key) => key.includes("namespaces/team"))) break;
    assert.ok(Date.now() < deadline, `still reading the namespace: ${store.reads}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }

  assert.equal((await call(handler, "DELETE", "/api/v1/namespaces/team")).status, 200);
  const refused = await call(handler, "POST", "/api/v1/namespaces/team/configmaps", configMap("late"));
  assert.equal(refused.status, 403);
  assert.match(refused.body.message, /unable to create new content in namespace team because it is being terminated/);
});
