// Many machines on one: a three-member etcd and two `stowage apiserver` processes on it (HTTPS, client
// certificates, Node,RBAC, as `--data-dir` sets them up), measured against etcd itself in the same run:
// - creates/s of ~1 KiB ConfigMaps from 32 concurrent keep-alive clients spread over both apiservers, against
//   raw etcd puts of the same values from 32 concurrent writers (goal: ≥ 0.8 of raw etcd)
// - watch delivery of a write to 100 watchers spread over both apiservers (goal: p99 ≤ 30 ms)
// Checks that every create was acknowledged and every watcher saw every write, then prints bench/lib/figure.ts's lines.
// Beside the rate it counts etcd's gRPC requests per create (from the members' /metrics), so a change that adds a
// round trip to the create path shows. `--cpu-prof-dir DIR` runs both apiservers under `node --cpu-prof` and stops
// them with SIGTERM, so each writes its profile there (`npx tsx bench/profiletop.ts DIR/<file>.cpuprofile`).
// Run: npx tsx bench/etcd.ts [creates=3000] [watch-writes=50] [--quick] [--cpu-prof-dir DIR]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request, type RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Etcd3 } from "etcd3";
import { startEtcd } from "../src/store/testing/etcdserver.js";
import { CheckFailed, openBench } from "./lib/bench.js";
import { cpuPerOperation, cpuReading } from "./lib/cpu.js";
import { pollUntil, within } from "./lib/wait.js";

const { values: flags, positionals: positional } = parseArgs({
  allowPositionals: true,
  options: { quick: { type: "boolean" }, "cpu-prof-dir": { type: "string" } },
});
const quick = flags.quick ?? false;
const profileDir = flags["cpu-prof-dir"];
const creates = Number(positional[0] ?? (quick ? 1000 : 3000));
const watchWrites = Number(positional[1] ?? (quick ? 20 : 50));
const bench = openBench();
const concurrency = 32;
const watchers = 100;
const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
const payload = "x".repeat(1000);

function startApiserver(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const profile = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(process.execPath, [
    ...profile,
    "--import",
    "tsx",
    main,
    "apiserver",
    "--listen",
    "127.0.0.1:0",
    ...args,
  ]);
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

/** SIGTERM, as an operator stops it (so `--cpu-prof` writes its profile); SIGKILL if it is still there after 20 s. */
async function stopApiserver(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

/** etcd's gRPC requests handled so far, by method (Range, Txn, Put, …), summed over every member. */
async function etcdRequests(endpoints: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const endpoint of endpoints) {
    const text = await (await fetch(`${endpoint}/metrics`)).text();
    for (const match of text.matchAll(/^grpc_server_handled_total\{([^}]*)\} (\S+)$/gm)) {
      const method = /grpc_method="([^"]+)"/.exec(match[1])?.[1];
      if (method) counts.set(method, (counts.get(method) ?? 0) + Number(match[2]));
    }
  }
  return counts;
}

/** Requests per create by method, between two etcdRequests() readings (only methods that were called). */
function perCreate(before: Map<string, number>, after: Map<string, number>, creates: number): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [method, count] of after) {
    const delta = count - (before.get(method) ?? 0);
    if (delta > 0) result[method] = Math.round((delta / creates) * 1000) / 1000;
  }
  return result;
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
  const processes = {
    apiservers: [a.child.pid!, b.child.pid!],
    etcd: etcd.members.map((m) => m.process.pid!),
    client: ["self" as const],
  };
  const requestsBefore = await etcdRequests(etcd.endpoints);
  let cpuBefore = cpuReading(processes);
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
  const cpuPerCreate = cpuPerOperation(cpuBefore, cpuReading(processes), creates);
  const requestsPerCreate = perCreate(requestsBefore, await etcdRequests(etcd.endpoints), creates);
  if (failed > 0) throw new CheckFailed(`${failed} creates were not acknowledged with 201`);

  // 2. raw etcd puts of the same values, from the same shape of client (32 concurrent writers, all members, plain
  // gRPC as the apiservers speak to etcd here): the value is the very bytes an apiserver stored for a create, with
  // its uid, timestamp and managedFields, so both sides write as much
  const raw = new Etcd3({ hosts: etcd.endpoints });
  const value = await raw.get("/registry/configmaps/default/cm-0").buffer();
  if (!value)
    throw new CheckFailed("the apiservers' first ConfigMap is not in etcd under /registry/configmaps/default");
  next = 0;
  cpuBefore = cpuReading(processes);
  started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < creates) await raw.put(`/bench/raw/cm-${next++}`).value(value);
    }),
  );
  const rawSeconds = (performance.now() - started) / 1000;
  const cpuPerPut = cpuPerOperation(cpuBefore, cpuReading(processes), creates);
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

  const detail = { etcdMembers: 3, apiservers: 2, creates, concurrency, valueBytes: value.length };
  bench.figure({
    figure: "etcd.apiserver_creates_per_second",
    value: creates / apiserverSeconds,
    unit: "creates/s",
    peer: { name: "raw etcd puts/s, same cluster, 32 writers", value: creates / rawSeconds },
    // CPU ms per create and per raw put by process group: on two loaded cores the rate follows the CPU a create takes
    detail: {
      ...detail,
      etcdRequestsPerCreate: requestsPerCreate,
      cpuMsPerCreate: cpuPerCreate,
      cpuMsPerRawPut: cpuPerPut,
    },
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
  await Promise.all(children.map(stopApiserver));
  await etcd.stop();
  rmSync(dir, { recursive: true, force: true });
}
bench.finish();
