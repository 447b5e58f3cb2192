// --store and the etcd flags: what they accept, what they refuse, and a store opened with --etcd-cafile,
// --etcd-certfile and --etcd-keyfile on an etcd that demands client certificates.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startEtcd } from "../store/testing/etcdserver.js";
import { openStore, parseStoreSpec } from "./storeflags.js";

const specs = [
  { text: "memory", want: { kind: "memory" } },
  { text: "sqlite:/var/lib/stowage.db", want: { kind: "sqlite", file: "/var/lib/stowage.db" } },
  { text: "etcd://10.0.0.1:2379", want: { kind: "etcd", endpoints: ["10.0.0.1:2379"] } },
  {
    text: "etcd://10.0.0.1:2379,10.0.0.2:2379",
    want: { kind: "etcd", endpoints: ["10.0.0.1:2379", "10.0.0.2:2379"] },
  },
  { text: "etcd:https://etcd-1:2379", want: { kind: "etcd", endpoints: ["https://etcd-1:2379"] } },
];
for (const c of specs) {
  test(`--store ${c.text} is read as ${JSON.stringify(c.want)}`, () =>
    assert.deepEqual(parseStoreSpec(c.text), c.want));
}

test("the etcd flags that cannot work are refused naming the flag", () => {
  const etcd = parseStoreSpec("etcd://127.0.0.1:2379");
  assert.throws(() => openStore(etcd, { etcdKeyfile: "k" }), /--etcd-certfile and --etcd-keyfile go together/);
  assert.throws(() => openStore(etcd, { etcdCertfile: "c", etcdKeyfile: "k" }), /--etcd-certfile needs --etcd-cafile/);
  assert.throws(() => openStore(etcd, { etcdPrefix: "registry" }), /--etcd-prefix registry: must begin with "\//);
  assert.throws(
    () => openStore(etcd, { etcdCafile: "/nonexistent/ca.crt" }),
    /--etcd-cafile \/nonexistent\/ca\.crt: .*no such file/,
  );
  assert.throws(
    () => openStore({ kind: "sqlite", file: ":memory:" }, { etcdCafile: "ca" }),
    /--etcd-\* flags need --store etcd/,
  );
});

test("--etcd-cafile, --etcd-certfile and --etcd-keyfile reach an etcd that demands client certificates", async (t) => {
  const etcd = await startEtcd(1, { tls: true });
  t.after(() => etcd.stop());
  const files = etcd.tls!.files;
  const hostPort = etcd.endpoints[0].replace("https://", "");
  const spec = parseStoreSpec(`etcd://${hostPort}`);
  const store = openStore(spec, { etcdCafile: files.ca, etcdCertfile: files.cert, etcdKeyfile: files.key });
  t.after(() => store.close());
  const created = await store.create("/registry/persistentvolumes/pv-tls", new TextEncoder().encode("over TLS"));
  assert.equal(new TextDecoder().decode((await store.get("/registry/persistentvolumes/pv-tls"))!.value), "over TLS");
  assert.equal((await store.list("/registry/persistentvolumes/")).revision, created.modRevision);
  // without our client certificate etcd refuses the connection
  const anonymous = openStore(spec, { etcdCafile: files.ca });
  t.after(() => anonymous.close());
  await assert.rejects(anonymous.get("/registry/persistentvolumes/pv-tls"));
});
