import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { EtcdStore, rangeEndOf } from "./etcd.js";
import { bytes, storeConformance, takeEvents, text } from "./testing/conformance.js";
import { startEtcd, type EtcdCluster } from "./testing/etcdserver.js";

// One real etcd for the file; each test's store lives under its own prefix, so tests see only their own keys
// (and, running one at a time, only their own revisions).
let etcd: EtcdCluster;
before(async () => {
  etcd = await startEtcd();
});
after(() => etcd.stop());

let stores = 0;
storeConformance("etcd", () => new EtcdStore({ endpoints: etcd.endpoints, prefix: `/conformance/${++stores}/` }));

const run = promisify(execFile);

test("objects are stored under kube-apiserver's key layout, so etcdctl lists them", async (t) => {
  const store = new EtcdStore({ endpoints: etcd.endpoints, root: "/registry", prefix: "/registry" });
  t.after(() => store.close());
  await store.create("/registry/persistentvolumes/pv-1", bytes("volume"));
  await store.create("/registry/persistentvolumeclaims/default/data", bytes("claim"));
  const { stdout } = await run(
    "etcdctl",
    ["--endpoints", etcd.endpoints[0], "get", "--prefix", "/registry/persistentvolumes"],
    {
      env: { ...process.env, ETCDCTL_API: "3" },
    },
  );
  assert.equal(stdout, "/registry/persistentvolumes/pv-1\nvolume\n");
});

test("--etcd-prefix moves the apiserver's /registry elsewhere in etcd", async (t) => {
  const store = new EtcdStore({ endpoints: etcd.endpoints, root: "/registry", prefix: "/cluster-b" });
  t.after(() => store.close());
  await store.create("/registry/persistentvolumes/pv-2", bytes("b"));
  const { stdout } = await run(
    "etcdctl",
    ["--endpoints", etcd.endpoints[0], "get", "--prefix", "--keys-only", "/cluster-b/"],
    {
      env: { ...process.env, ETCDCTL_API: "3" },
    },
  );
  assert.equal(stdout.trim(), "/cluster-b/persistentvolumes/pv-2");
  const list = await store.list("/registry/persistentvolumes/");
  assert.deepEqual(
    list.items.map((kv) => kv.key),
    ["/registry/persistentvolumes/pv-2"],
  );
});

test("a quiet watch reports progress: a revision every event at or below which was delivered", async (t) => {
  const store = new EtcdStore({ endpoints: etcd.endpoints, prefix: "/progress/", watch: { progressIntervalMs: 50 } });
  t.after(() => store.close());
  const written = await store.create("/a", bytes("1"));
  // etcd's revision moves on without an event for the watch
  await store.create("/elsewhere-1", bytes("2"));
  await store.create("/elsewhere-2", bytes("3"));
  const controller = new AbortController();
  t.after(() => controller.abort());
  for await (const item of store.watch("/a", written.modRevision - 1, controller.signal)) {
    if (item.type === "progress") {
      assert.ok(item.revision > written.modRevision, `progress ${item.revision} does not pass the watched key`);
      break;
    }
    assert.equal(item.kv.modRevision, written.modRevision);
  }
});

test("two stores on one etcd see each other's writes in their watches", async (t) => {
  const one = new EtcdStore({ endpoints: etcd.endpoints, prefix: "/shared/" });
  const two = new EtcdStore({ endpoints: etcd.endpoints, prefix: "/shared/" });
  t.after(() => Promise.all([one.close(), two.close()]));
  const start = await two.currentRevision();
  const events = await takeEvents(two, "/pv/", start, 1, () => one.create("/pv/x", bytes("from one")));
  assert.equal(text(events[0].kv.value), "from one");
});

test("the etcd range of a prefix ends at its last byte incremented", () => {
  assert.deepEqual(rangeEndOf(Buffer.from("/a/")), Buffer.from("/a0"));
  assert.deepEqual(rangeEndOf(Buffer.from([0x61, 0xff])), Buffer.from("b"));
  assert.deepEqual(rangeEndOf(Buffer.alloc(0)), Buffer.from([0]));
});

test("a backup is etcd's own snapshot, which etcdctl reads, at the revision it reports", async (t) => {
  const store = new EtcdStore({ endpoints: etcd.endpoints, prefix: "/backup-test/" });
  t.after(() => store.close());
  await store.create("/registry/x", bytes("x"));
  const dir = await mkdtemp(join(tmpdir(), "stowage-etcd-backup-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const revision = await store.backup(join(dir, "snapshot.db"));
  assert.ok(revision >= 1);
  const { stdout } = await run("etcdctl", ["snapshot", "status", join(dir, "snapshot.db"), "-w", "json"], {
    env: { ...process.env, ETCDCTL_API: "3" },
  });
  // etcd 3.4 sends no revision with a snapshot: ours is then the revision just before it, which it holds
  assert.ok((JSON.parse(stdout) as { revision: number }).revision >= revision);
});
