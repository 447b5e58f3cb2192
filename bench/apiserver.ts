// apiserver figures through HTTP on the SQLite store, the server in its own process (`stowage apiserver`), each
// checked (every create acknowledged, the list whole, every watcher given every update) and beside raw etcd in the
// same run (one member, the same 32-writer client shape, the same values):
// - creates/s of ~1 KiB ConfigMaps from 32 concurrent keep-alive clients (target ≥ 5,000/s)
// - GET of a list of 100,000 PersistentVolumes (goal ≤ 400 ms), with the server's peak RSS
// - watch delivery latency of one update to 1,000 watchers over HTTP (goal p99 ≤ 50 ms)
// Prints bench/lib/figure.ts's JSON lines. Run: npx tsx bench/apiserver.ts [creates] [volumes] [sqlite|memory]
// [transport,…|both] [watchers] [--quick]. Transports (default https): http (HTTP/1.1, no security), https (HTTP/1.1 over TLS: 32 connections, as
// client-node and the project's own client talk), h2 (HTTP/2 over TLS: 32 streams on one connection, as kubectl and
// every client-go program talk). For https and h2 the server gets a CA, a serving certificate and --client-ca-file
// with --authorization-mode Node,RBAC; the client presents the admin's certificate (system:masters). both: http,
// https and h2 in one run, so the cost of TLS and authentication is measured against the same machine state.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CheckFailed, openBench } from "./lib/bench.js";
import { http1Client, http2Client, type Client } from "./lib/httpclient.js";
import { peakRssMiB } from "./lib/memory.js";
import { startRawEtcd, type RawEtcd } from "./lib/rawetcd.js";
import { pollUntil } from "./lib/wait.js";

const quick = process.argv.includes("--quick");
const positional = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const creates = Number(positional[0] ?? (quick ? 2000 : 20_000));
const volumes = Number(positional[1] ?? (quick ? 2000 : 100_000));
/** "sqlite" (default) or "memory": the latter shows what the HTTP layer costs without the store's fsyncs. */
const storeKind = positional[2] === "memory" ? "memory" : "sqlite";
const transportArg = positional[3] ?? "https";
const watcherCount = Number(positional[4] ?? (quick ? 100 : 1000));
const bench = openBench();
const transports = (transportArg === "both" ? "http,https,h2" : transportArg).split(",");
type Transport = "http" | "https" | "h2";
for (const t of transports) if (!["http", "https", "h2"].includes(t)) throw new Error(`unknown transport ${t}`);

/**
 * CPU time (user + system) a process has used so far, from /proc: the server's own cost per request, which the
 * machine's load (other engineers' tests on the same two cores) distorts far less than requests per second.
 */
function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100/s)
  } catch {
    return NaN;
  }
}

/** A CA, the server's certificate and the admin's client certificate, written into dir for the server's flags. */
async function certificates(dir: string) {
  const { createCertificateAuthority, issueCertificate } = await import("../src/support/pki.js");
  const ca = await createCertificateAuthority("bench-ca", 1);
  const serving = await issueCertificate(ca, {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["127.0.0.1"],
    validDays: 1,
  });
  const admin = await issueCertificate(ca, {
    commonName: "admin",
    organizations: ["system:masters"],
    usage: "client",
    validDays: 1,
  });
  for (const [name, text] of [
    ["ca.crt", ca.cert],
    ["tls.crt", serving.cert],
    ["tls.key", serving.key],
  ]) {
    writeFileSync(join(dir, name), text);
  }
  const flags = ["--tls-cert-file", join(dir, "tls.crt"), "--tls-private-key-file", join(dir, "tls.key")];
  flags.push("--client-ca-file", join(dir, "ca.crt"), "--authorization-mode", "Node,RBAC");
  return { flags, tls: { ca: ca.cert, cert: admin.cert, key: admin.key } };
}

async function startServer(
  dir: string,
  extraFlags: string[],
): Promise<{ url: string; stop(): void; cpuMs(): number; peakRssMiB(): number }> {
  const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  const child = spawn(
    process.execPath,
    [
      // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server process
      ...(process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean),
      "--import",
      "tsx",
      main,
      "apiserver",
      "--store",
      storeKind === "memory" ? "memory" : `sqlite:${join(dir, "bench.db")}`,
      "--listen",
      "127.0.0.1:0",
      ...extraFlags,
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /serving at (https?:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on("exit", (code) => reject(new Error(`apiserver exited ${code}`)));
  });
  return {
    url,
    stop: () => child.kill("SIGTERM"),
    cpuMs: () => processCpuMs(child.pid),
    peakRssMiB: () => peakRssMiB(child.pid ?? 0),
  };
}

async function pool(count: number, workers: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

const filler = "x".repeat(900);
const configMap = (name: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { bench: "create" } },
    data: { payload: filler },
  });
const volume = (name: string) =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name, labels: { bench: "list" } },
    spec: {
      capacity: { storage: "5Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "standard",
      hostPath: { path: `/srv/volumes/${name}` },
    },
  });

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

type Server = Awaited<ReturnType<typeof startServer>>;

/** `creates` ConfigMaps, 32 in flight: throughput and the server's CPU per create. */
async function measureCreates(server: Server, client: Client) {
  // warm-up (JIT, SQLite pages)
  await pool(
    500,
    32,
    async (i) => void (await client.send("POST", "/api/v1/namespaces/default/configmaps", configMap(`warm-${i}`))),
  );
  const cpuBefore = server.cpuMs();
  const start = performance.now();
  let failed = 0;
  await pool(creates, 32, async (i) => {
    const r = await client.send("POST", "/api/v1/namespaces/default/configmaps", configMap(`cm-${i}`));
    if (r.status !== 201) failed++;
  });
  const createSeconds = (performance.now() - start) / 1000;
  return {
    failed,
    createsPerSecond: Math.round(creates / createSeconds),
    cpuUsPerCreate: Math.round(((server.cpuMs() - cpuBefore) * 1000) / creates),
  };
}

/** `volumes` PVs, then a whole list of them seven times. */
async function measureList(client: Client) {
  await pool(
    volumes,
    32,
    async (i) =>
      void (await client.send("POST", "/api/v1/persistentvolumes", volume(`pv-${String(i).padStart(6, "0")}`))),
  );
  const listMs: number[] = [];
  let items = 0;
  for (let i = 0; i < 7; i++) {
    const start = performance.now();
    const r = await client.send("GET", "/api/v1/persistentvolumes");
    listMs.push(performance.now() - start);
    items = (JSON.parse(r.text) as { items: unknown[] }).items.length;
    if (items !== volumes) throw new CheckFailed(`the list held ${items} PersistentVolumes, not ${volumes}`);
  }
  listMs.sort((a, b) => a - b);
  return { items, listMs };
}

/** One watcher's stream of the watched namespace's configmaps; each update's send time gives its latency. */
async function watch(client: Client, revision: string, latencies: number[], watchers: Array<() => void>) {
  const { body, stop } = await client.stream(
    `/api/v1/namespaces/watched/configmaps?watch=1&resourceVersion=${revision}`,
  );
  watchers.push(stop);
  let pending = "";
  body.on("error", () => {});
  body.on("data", (chunk: Buffer) => {
    const now = performance.now() + performance.timeOrigin;
    pending += chunk.toString();
    for (let nl = pending.indexOf("\n"); nl >= 0; nl = pending.indexOf("\n")) {
      const event = JSON.parse(pending.slice(0, nl)) as { object: { data?: { sent?: string } } };
      pending = pending.slice(nl + 1);
      const sent = Number(event.object.data?.sent ?? 0);
      if (sent > 0) latencies.push(now - sent);
    }
  });
}

const patchTicker = (client: Client) =>
  client.send(
    "PATCH",
    "/api/v1/namespaces/watched/configmaps/ticker",
    JSON.stringify({ data: { sent: String(performance.now() + performance.timeOrigin) } }),
    "application/merge-patch+json",
  );

/** `watcherCount` watchers on one namespace's configmaps, `updates` updates one after another: delivery latency. */
async function measureWatch(client: Client, updates: number) {
  await client.send(
    "POST",
    "/api/v1/namespaces",
    JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "watched" } }),
  );
  await client.send(
    "POST",
    "/api/v1/namespaces/watched/configmaps",
    JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "ticker" }, data: { sent: "0" } }),
  );
  const latencies: number[] = [];
  const watchers: Array<() => void> = [];
  const revision = JSON.parse((await client.send("GET", "/api/v1/namespaces/watched/configmaps")).text).metadata
    .resourceVersion as string;
  await pool(watcherCount, 50, () => watch(client, revision, latencies, watchers));
  // One update at a time: the next goes out once every watcher has the last, so each is one update → all.
  for (let u = 1; u <= updates; u++) {
    await patchTicker(client);
    await pollUntil(
      30_000,
      `update ${u} delivered to all ${watcherCount} watchers`,
      async () => latencies.length >= u * watcherCount,
      1,
    );
  }
  for (const stop of watchers) stop();
  if (latencies.length !== updates * watcherCount)
    throw new CheckFailed(`${latencies.length} deliveries of ${updates} updates to ${watcherCount} watchers`);
  return latencies.sort((a, b) => a - b);
}

const transportNames: Record<Transport, string> = {
  http: "http",
  https: "https (HTTP/1.1), client certificates, Node,RBAC",
  h2: "https (HTTP/2), client certificates, Node,RBAC",
};

/** The peers, once per run: raw etcd puts of the same ConfigMaps and a range of the same PersistentVolumes. */
async function measurePeers(raw: RawEtcd) {
  const putsPerSecond = await raw.putsPerSecond(32, creates, configMap("peer"));
  const rangeMs = await raw.rangeMs("/bench/pvs/", volumes, volume("peer"));
  return { putsPerSecond, rangeMs };
}

async function main(transport: Transport, peers: Awaited<ReturnType<typeof measurePeers>>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "stowage-bench-"));
  const secure = transport === "http" ? undefined : await certificates(dir);
  const server = await startServer(dir, secure?.flags ?? []);
  const client =
    secure && transport === "h2" ? http2Client(server.url, secure.tls) : http1Client(server.url, secure?.tls);
  const detail = { store: storeKind, transport: transportNames[transport] };
  try {
    const created = await measureCreates(server, client);
    if (created.failed > 0) throw new CheckFailed(`${created.failed} of ${creates} creates were not answered 201`);
    bench.figure({
      figure: `apiserver.creates_per_second_${transport}`,
      value: created.createsPerSecond,
      unit: "creates/s",
      goal: { op: ">=", value: 5000 },
      peer: { name: "raw etcd puts/s, 32 writers, same values", value: peers.putsPerSecond },
      detail: { ...detail, creates, serverCpuUsPerCreate: created.cpuUsPerCreate },
    });
    const { items, listMs } = await measureList(client);
    bench.figure({
      figure: `apiserver.list_${items}_pvs_ms_${transport}`,
      value: percentile(listMs, 50),
      unit: "ms (median of 7)",
      ...(items >= 100_000 ? { goal: { op: "<=" as const, value: 400 } } : {}),
      peer: { name: `raw etcd range of the same ${items} PVs (ms)`, value: peers.rangeMs },
      rssPeakMiB: server.peakRssMiB(),
      detail: { ...detail, items, listMsBest: Math.round(listMs[0]) },
    });
    const updates = quick ? 20 : 100;
    const latencies = await measureWatch(client, updates);
    bench.figure({
      figure: `apiserver.watch_${watcherCount}_watchers_p99_ms_${transport}`,
      value: percentile(latencies, 99),
      unit: "ms (p99)",
      ...(watcherCount >= 1000 ? { goal: { op: "<=" as const, value: 50 } } : {}),
      detail: {
        ...detail,
        watchers: watcherCount,
        updates,
        delivered: latencies.length,
        p50: percentile(latencies, 50),
      },
    });
  } finally {
    server.stop();
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const raw = await startRawEtcd();
try {
  const peers = await measurePeers(raw);
  for (const transport of transports) await main(transport as Transport, peers);
} finally {
  await raw.stop();
}
bench.finish();
