// Two apiservers on one real etcd, each with its own watch caches: a consistent list on one includes what was
// written through the other a moment before, and a watch on one sees the other's writes, resumed from its window.
import assert from "node:assert/strict";
import { after, before, test, type TestContext } from "node:test";
import { EtcdStore } from "../../store/etcd.js";
import { startEtcd, type EtcdCluster } from "../../store/testing/etcdserver.js";
import { createApiServer } from "../server.js";
import { call, pv } from "../testing/request.js";

let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd.stop());

let prefixes = 0;
/** Two apiservers on the same keys in etcd, as two machines would be. */
async function pair(t: TestContext) {
  const prefix = `/watchcache/${++prefixes}/`;
  const servers = [];
  /** The lists of PersistentVolumes the second apiserver asked etcd for (the rest its cache answered). */
  const storeLists = { count: 0 };
  for (let i = 0; i < 2; i++) {
    const store = new EtcdStore({ endpoints: etcd.endpoints, prefix });
    const list = store.list.bind(store);
    store.list = (key, opts) => {
      if (i === 1 && key === "/registry/persistentvolumes/") storeLists.count++;
      return list(key, opts);
    };
    const server = await createApiServer({ store, compactionIntervalMs: 0, eventTtlMs: 0 });
    await server.watchCachesPrimed();
    t.after(async () => {
      await server.close();
      await store.close();
    });
    servers.push(server.handler);
  }
  return { servers, storeLists };
}

test("a consistent list on one apiserver includes a write made through the other just before", async (t) => {
  const {
    servers: [a, b],
    storeLists,
  } = await pair(t);
  const primingLists = storeLists.count;
  for (let i = 0; i < 20; i++) {
    const created = await call(a, "POST", "/api/v1/persistentvolumes", pv(`pv-${i}`));
    assert.equal(created.status, 201);
    const list = await call(b, "GET", "/api/v1/persistentvolumes");
    assert.equal(list.status, 200);
    const names = (list.body.items as Array<{ metadata: { name: string } }>).map((item) => item.metadata.name);
    assert.ok(names.includes(`pv-${i}`), `pv-${i} in ${names.join(",")}`);
    assert.ok(Number(list.body.metadata.resourceVersion) >= Number(created.body.metadata.resourceVersion));
  }
  // the cache caught up (the write's event, or a progress notification asked for) and answered at least some;
  // etcd 3.4 may answer progress one revision short, and then etcd answers the list
  assert.ok(storeLists.count - primingLists < 20, `${storeLists.count - primingLists} of 20 lists went to etcd`);
});

test("a watch on one apiserver sees writes through the other, resuming exactly after its resourceVersion", async (t) => {
  const {
    servers: [a, b],
  } = await pair(t);
  const first = await call(a, "POST", "/api/v1/persistentvolumes", pv("first"));
  await call(a, "POST", "/api/v1/persistentvolumes", pv("second"));
  const controller = new AbortController();
  const url = new URL(
    `http://x/api/v1/persistentvolumes?watch=1&resourceVersion=${first.body.metadata.resourceVersion}`,
  );
  const response = await b({
    method: "GET",
    path: url.pathname,
    query: url.searchParams,
    headers: {},
    signal: controller.signal,
  });
  assert.equal(response.status, 200);
  const seen: string[] = [];
  let pending = "";
  const reading = (async () => {
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      pending += Buffer.from(chunk).toString();
      for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
        const event = JSON.parse(pending.slice(0, nl)) as { type: string; object: { metadata: { name: string } } };
        pending = pending.slice(nl + 1);
        seen.push(`${event.type} ${event.object.metadata.name}`);
      }
      if (seen.length >= 2) break;
    }
  })();
  await call(a, "POST", "/api/v1/persistentvolumes", pv("third"));
  await reading;
  controller.abort();
  assert.deepEqual(seen, ["ADDED second", "ADDED third"]);
});
