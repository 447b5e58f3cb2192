// Many machines on one: a three-member etcd and two `stowage apiserver` processes on it (HTTPS, client
// certificates, Node,RBAC, as `--data-dir` sets them up), measured against etcd itself in the same run:
// - creates/s of ~1 KiB ConfigMaps from 32 concurrent keep-alive clients spread over both apiservers, against
//   raw etcd puts of the same values from 32 concurrent writers (goal: ≥ 0.8 of raw etcd)
// - watch delivery of a write to 100 watchers spread over both apiservers (goal: p99 ≤ 30 ms)
// Checks that every create was acknowledged and every watcher saw every write, then prints bench/lib/figure.ts's lines.
// Run: npx tsx bench/etcd.ts [creates=3000] [watch-writes=50] [--quick]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Etcd3 } from "etcd3";
import { startEtcd } from "../src/store/testing/etcdserver.js";
import { CheckFailed, openBench } from "./lib/bench.js";
import { pollUntil, within } from "./lib/wait.js";

const quick = process.argv.includes("--quick");
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const creates = Number(positional[0] ?? (quick ? 1000 : 3000));
const watchWrites = Number(positional[1] ?? (quick ? 20 : 50));
const bench = openBench();
const concurrency = 32;
const watchers = 100;
const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const payload = "x".repeat(1000);

function startApiserver(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", main, "apiserver", "--listen", "127.0.0.1:0", ...args]);
  let out = "";
  child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /serving at (\S+)/.exec(out)?.[1];
      if (url && out.includes("admin kubeconfig:")) resolve({ url, child });
    });
    child.on("exit", (code) => reject(new Error(`apiserver exited (${code}): ${out}`)));
  });
}

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50: round(at(0.5)), p99: round(at(0.99)), max: round(sorted[sorted.length - 1]) };
}

const dir = mkdtempSync(join(tmpdir(), "stowage-bench-etcd-"));
const etcd = await startEtcd(3);
const children: ChildProcess[] = [];
try {
  const store = `etcd://${etcd.endpoints.map((e) => e.replace("http://", "")).join(",")}`;
  const a = await startApiserver(["--store", store, "--data-dir", join(dir, "a")]);
  children.push(a.child);
  const b = await startApiserver(["--store", store, "--data-dir", join(dir, "b"), "--pki-from", join(dir, "a")]);
  children.push(b.child);
  const servers = [a.url, b.url];
  const pki = join(dir, "a", "pki");
  const tls = {
    ca: readFileSync(join(pki, "ca.crt"), "utf8"),
    cert: readFileSync(join(pki, "admin.crt"), "utf8"),
    key: readFileSync(join(pki, "admin.key"), "utf8"),
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ...tls });
  const send = (url: string, options: RequestOptions, body?: string) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(url, { ...options, agent }, (res) => {
        let text = "";
        res.on("data", (chunk: Buffer) => (text += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on("error", reject);
      req.end(body);
    });
  const createConfigMap = (server: string, name: string) =>
    send(
      `${server}/api/v1/namespaces/default/configmaps`,
      { method: "POST", headers: { "content-type": "application/json" } },
      JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { payload } }),
    );

  // 1. creates through both apiservers
  let next = 0;
  let failed = 0;
  let started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (next < creates) {
        const i = next++;
        const answer = await createConfigMap(servers[(worker + i) % 2], `cm-${i}`);
        if (answer.status !== 201) failed++;
      }
    }),
  );
  const apiserverSeconds = (performance.now() - started) / 1000;
  if (failed > 0) throw new CheckFailed(`${failed} creates were not acknowledged with 201`);

  // 2. raw etcd puts of the same values, from the same shape of client (32 concurrent writers, all members)
  const raw = new Etcd3({ hosts: etcd.endpoints });
  const value = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: { payload } });
  next = 0;
  started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < creates) await raw.put(`/bench/raw/cm-${next++}`).value(value);
    }),
  );
  const rawSeconds = (performance.now() - started) / 1000;
  raw.close();

  // 3. watch delivery to 100 watchers, half on each apiserver
  const list = await send(`${a.url}/api/v1/namespaces/default/configmaps?limit=1`, { method: "GET" });
  const from = (JSON.parse(list.text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const received = new Array<number>(watchers).fill(0);
  let connected = 0;
  const watching = Array.from(
    { length: watchers },
    (_, w) =>
      new Promise<void>((resolve, reject) => {
        const url = `${servers[w % 2]}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${from}`;
        const req = request(url, { agent: new Agent({ ...tls }) }, (res) => {
          connected++;
          let buffer = "";
          res.on("data", (chunk: Buffer) => {
            const at = performance.now();
            buffer += chunk.toString();
            let newline: number;
            while ((newline = buffer.indexOf("\n")) >= 0) {
              const line = buffer.slice(0, newline);
              buffer = buffer.slice(newline + 1);
              const name = (JSON.parse(line) as { object: { metadata: { name: string } } }).object.metadata.name;
              const sent = sentAt.get(name);
              if (sent === undefined) continue;
              latencies.push(at - sent);
              if (++received[w] === watchWrites) {
                req.destroy();
                resolve();
              }
            }
          });
        });
        req.on("error", (err) => (received[w] === watchWrites ? resolve() : reject(err)));
        req.end();
      }),
  );
  // Every watch answered (its headers are sent once it is registered), so no write goes out before a watcher is on.
  await pollUntil(30_000, "every watch connected", async () => connected === watchers);
  for (let i = 0; i < watchWrites; i++) {
    const name = `watched-${i}`;
    sentAt.set(name, performance.now());
    const answer = await createConfigMap(servers[i % 2], name);
    if (answer.status !== 201) throw new CheckFailed(`watched create answered ${answer.status}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await within(30_000, "every watcher saw every write", Promise.all(watching));
  agent.destroy();

  const detail = { etcdMembers: 3, apiservers: 2, creates, concurrency };
  bench.figure({
    figure: "etcd.apiserver_creates_per_second",
    value: creates / apiserverSeconds,
    unit: "creates/s",
    peer: { name: "raw etcd puts/s, same cluster, 32 writers", value: creates / rawSeconds },
    detail,
  });
  bench.figure({
    figure: "etcd.apiserver_over_raw_etcd",
    value: rawSeconds / apiserverSeconds,
    unit: "× raw etcd's rate",
    goal: { op: ">=", value: 0.8 },
    detail,
  });
  const delivery = percentiles(latencies);
  bench.figure({
    figure: "etcd.watch_delivery_p99_ms",
    value: delivery.p99,
    unit: "ms (p99)",
    goal: { op: "<=", value: 30 },
    detail: { ...detail, watchers, watchWrites, delivery },
  });
} finally {
  for (const child of children) child.kill("SIGKILL");
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
bench.finish();
