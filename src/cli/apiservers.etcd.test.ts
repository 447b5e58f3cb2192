// Two `stowage apiserver` processes on one real etcd, each with its own --data-dir, the second sharing the first's
// CA (--pki-from): a write through one is in a list and a watch on the other, each accepts the other's clients,
// the objects sit in etcd under /registry as kube-apiserver's do (Secrets encrypted), and /readyz follows etcd.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { get as httpsGet } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { PersistentVolume } from "../api/core/types.js";
import { Informer, createClient, httpTransport, loadKubeconfig, type Transport } from "../client/index.js";
import { startEtcd } from "../store/testing/etcdserver.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = promisify(execFile);

/** Starts `stowage apiserver` and resolves with its URL once it has written its admin kubeconfig. */
async function startApiserver(
  t: TestContext,
  args: string[],
  started?: (child: ChildProcess) => void,
): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", main, "apiserver", "--listen", "127.0.0.1:0", ...args]);
  started?.(child);
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise<string>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /serving at (\S+)/.exec(out)?.[1];
      if (url && /admin kubeconfig: /.test(out)) resolve(url);
    });
    child.on("exit", (code) => reject(new Error(`apiserver exited (${code}): ${out}`)));
  });
}

function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kubectl", ["--kubeconfig", kubeconfig, ...args], (err, stdout, stderr) =>
      err ? reject(new Error(`kubectl ${args.join(" ")}: ${stderr || err.message}`)) : resolve(stdout),
    );
    child.stdin?.end(input ?? "");
  });
}

function readyz(url: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(new URL("/readyz", url), { ca, timeout: 5000 }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
  });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${deadlineMs} ms`);
}

const encryptionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aesgcm: {keys: [{name: key1, secret: "${Buffer.alloc(32, 7).toString("base64")}"}]}
      - identity: {}
`;

const volume = (name: string) => `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${name}}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /tmp/${name}}
`;

test("two apiservers on one etcd serve the same objects to each other's clients", { timeout: 120_000 }, async (t) => {
  const etcd = await startEtcd();
  t.after(() => etcd.stop());
  const dir = await mkdtemp(join(tmpdir(), "stowage-apiservers-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const encryption = join(dir, "encryption.yaml");
  await writeFile(encryption, encryptionConfig);
  const store = `etcd://${etcd.endpoints[0].replace("http://", "")}`;
  const common = ["--store", store, "--encryption-provider-config", encryption];
  const a = await startApiserver(t, [...common, "--data-dir", join(dir, "a")]);
  const b = await startApiserver(t, [...common, "--data-dir", join(dir, "b"), "--pki-from", join(dir, "a")]);
  const adminA = join(dir, "a", "kubeconfig");
  const adminB = join(dir, "b", "kubeconfig");

  // a watch on B, with A's admin certificate: B trusts the CA it shares with A
  const watch = spawn("kubectl", ["--kubeconfig", adminA, "--server", b, "get", "pv", "--watch", "-o", "name"]);
  t.after(() => watch.kill("SIGKILL"));
  let watched = "";
  watch.stdout.on("data", (chunk: Buffer) => (watched += chunk.toString()));
  await kubectl(adminA, ["apply", "-f", "-"], volume("pv-first"));
  await until("B's watch shows the volume written through A", async () =>
    watched.includes("persistentvolume/pv-first") ? true : undefined,
  );
  await kubectl(adminA, ["apply", "-f", "-"], volume("pv-second"));
  await until("B's watch shows a second write through A", async () =>
    watched.includes("persistentvolume/pv-second") ? true : undefined,
  );
  const listedOnB = await kubectl(adminB, ["get", "pv", "-o", "name"]);
  assert.equal(listedOnB, "persistentvolume/pv-first\npersistentvolume/pv-second\n");
  // `stowage kubeconfig --data-dir` prints the file the apiserver wrote
  const printed = await run(process.execPath, ["--import", "tsx", main, "kubeconfig", "--data-dir", join(dir, "b")]);
  assert.equal(printed.stdout, await readFile(adminB, "utf8"));

  // in etcd as kube-apiserver lays it out, and a Secret written through B is encrypted there, readable through A
  await kubectl(adminB, ["create", "secret", "generic", "db", "--from-literal=password=hunter2"]);
  const etcdctl = (...args: string[]) =>
    run("etcdctl", ["--endpoints", etcd.endpoints[0], ...args], { env: { ...process.env, ETCDCTL_API: "3" } });
  const keys = (await etcdctl("get", "--prefix", "--keys-only", "/registry/persistentvolumes/")).stdout;
  assert.deepEqual(keys.split("\n").filter(Boolean), [
    "/registry/persistentvolumes/pv-first",
    "/registry/persistentvolumes/pv-second",
  ]);
  const secret = (await etcdctl("get", "/registry/secrets/default/db", "--print-value-only")).stdout;
  assert.ok(secret.startsWith("k8s:enc:aesgcm:v1:key1:"), secret.slice(0, 40));
  assert.ok(!secret.includes("aHVudGVyMg"), "the password's base64 is not in etcd");
  const read = await kubectl(adminA, ["get", "secret", "db", "-o", "jsonpath={.data.password}"]);
  assert.equal(Buffer.from(read, "base64").toString(), "hunter2");

  // /readyz follows the etcd connection
  const ca = (await readFile(join(dir, "a", "pki", "ca.crt"))).toString();
  assert.deepEqual(await readyz(b, ca), { status: 200, text: "ok" });
  etcd.members[0].kill();
  const down = await until("B's /readyz fails without etcd", async () => {
    const answer = await readyz(b, ca);
    return answer.status === 500 ? answer : undefined;
  });
  assert.match(down.text, /^\[-\]etcd failed: reason withheld$/m);
  assert.match(down.text, /\nreadyz check failed\n$/);
  await until("A's /readyz fails without etcd", async () => ((await readyz(a, ca)).status === 500 ? true : undefined));
});

test(
  "a client given both apiservers fails over when one is killed, its informer resuming without a relist",
  { timeout: 120_000 },
  async (t) => {
    const etcd = await startEtcd();
    t.after(() => etcd.stop());
    const dir = await mkdtemp(join(tmpdir(), "stowage-failover-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const store = ["--store", `etcd://${etcd.endpoints[0].replace("http://", "")}`];
    let first: ChildProcess | undefined;
    const a = await startApiserver(t, [...store, "--data-dir", join(dir, "a")], (child) => (first = child));
    const b = await startApiserver(t, [...store, "--data-dir", join(dir, "b"), "--pki-from", join(dir, "a")]);
    const adminB = join(dir, "b", "kubeconfig");
    // the admin kubeconfig with both apiservers, the first one first
    const both = join(dir, "both.kubeconfig");
    await writeFile(
      both,
      (await readFile(join(dir, "a", "kubeconfig"), "utf8")).replace(`server: ${a}`, `server: ${a},${b}`),
    );

    const lists: string[] = [];
    const http = httpTransport(loadKubeconfig(both));
    t.after(() => http.close());
    const counting: Transport = (request) => {
      const watching = request.query.get("watch") === "true" || request.query.get("watch") === "1";
      if (request.method === "GET" && !watching) lists.push(request.path);
      return http(request);
    };
    const client = createClient(counting);
    const informer = new Informer<PersistentVolume>(client.persistentVolumes, {
      initialBackoffMs: 50,
      log: () => undefined,
    });
    const controller = new AbortController();
    t.after(() => controller.abort());
    void informer.run(controller.signal);
    await kubectl(adminB, ["apply", "-f", "-"], volume("pv-before"));
    await until("the informer has the first volume", async () => (informer.get("pv-before") ? true : undefined));
    assert.equal(http.server, a);

    first!.kill("SIGKILL");
    await kubectl(adminB, ["apply", "-f", "-"], volume("pv-after"));
    await until("the informer has the volume written after A died", async () =>
      informer.get("pv-after") ? true : undefined,
    );
    assert.equal(http.server, b, "the client moved to B");
    assert.deepEqual(lists, ["/api/v1/persistentvolumes"], "one list: the watch resumed from its resourceVersion");
    // and writes go through B as well
    const created: PersistentVolume = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "pv-client" },
      spec: { capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp/pv-client" } },
    };
    await client.persistentVolumes.create(created);
    assert.match(await kubectl(adminB, ["get", "pv", "pv-client", "-o", "name"]), /persistentvolume\/pv-client/);
  },
);
