// /livez and /readyz tell the truth: upstream's per-check output, and failing — with the store's check named —
// once the SQLite writer thread is gone, when writes would fail too.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Worker } from "node:worker_threads";
import { SqliteStore } from "../store/sqlite.js";
import { createApiServer } from "./server.js";
import { call, pv } from "./testing/request.js";

test("/livez and /readyz list their checks with ?verbose, and fail naming etcd when the SQLite writer has died", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-health-"));
  const store = SqliteStore.open(join(dir, "stowage.db"));
  const server = await createApiServer({ store, compactionIntervalMs: 0, log: () => undefined });
  t.after(async () => {
    await server.close();
    await store.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  const get = async (path: string) => {
    const answer = await call(server.handler, "GET", path);
    return `${answer.status} ${answer.text}`;
  };
  assert.equal(await get("/readyz"), "200 ok");
  assert.equal(await get("/livez"), "200 ok");
  assert.equal(await get("/healthz"), "200 ok");
  assert.equal(
    await get("/readyz?verbose"),
    "200 [+]ping ok\n[+]log ok\n[+]etcd ok\n[+]etcd-readiness ok\n[+]shutdown ok\nreadyz check passed\n",
  );
  assert.equal(await get("/livez?verbose"), "200 [+]ping ok\n[+]log ok\n[+]etcd ok\nlivez check passed\n");
  assert.equal(
    await get("/livez?verbose&exclude=etcd&exclude=nope"),
    '200 [+]ping ok\n[+]log ok\n[+]etcd excluded: ok\nwarn: some health checks cannot be excluded: no matches for "nope"\nlivez check passed\n',
  );
  assert.equal(await get("/readyz/etcd"), "200 ok");
  assert.equal((await call(server.handler, "GET", "/readyz/nope")).status, 404);

  // The writer thread dies (as a native crash or an out-of-memory in it would end it).
  await (store as unknown as { committer: { worker: Worker } }).committer.worker.terminate();
  assert.equal(
    await get("/readyz"),
    "500 [+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\n[-]etcd-readiness failed: reason withheld\n" +
      "[+]shutdown ok\nreadyz check failed\n",
  );
  assert.equal(await get("/livez"), "500 [+]ping ok\n[+]log ok\n[-]etcd failed: reason withheld\nlivez check failed\n");
  assert.equal(await get("/readyz/etcd"), "500 internal server error: SQLite writer thread has exited\n");
  // and it is the truth: a write fails
  assert.equal((await call(server.handler, "POST", "/api/v1/persistentvolumes", pv("after"))).status, 500);
  // excluding the failing checks is an operator's way to see the rest
  assert.equal((await call(server.handler, "GET", "/readyz?exclude=etcd&exclude=etcd-readiness")).status, 200);
});

test("/readyz fails its shutdown check once the server is closing", async (t) => {
  const store = SqliteStore.open(":memory:");
  const server = await createApiServer({ store, compactionIntervalMs: 0, log: () => undefined });
  t.after(() => store.close());
  await server.close();
  const answer = await call(server.handler, "GET", "/readyz");
  assert.equal(answer.status, 500);
  assert.match(answer.text, /\[-\]shutdown failed: reason withheld\n/);
  assert.equal((await call(server.handler, "GET", "/livez")).status, 200);
});
