// apiserver figures through HTTP on the SQLite store, the server in its own process (`stowage apiserver`):
// - creates/s of ~1 KiB ConfigMaps from 32 concurrent keep-alive clients (target ≥ 5,000/s)
// - GET of a list of 10,000 PersistentVolumes (target ≤ 150 ms)
// - watch delivery latency of one update to 100 watchers (target p99 ≤ 20 ms)
// Prints one JSON line per transport. Run: node --import tsx bench/apiserver.ts [creates] [volumes] [sqlite|memory]
// [transport,…|both]. Transports: http (HTTP/1.1, no security), https (HTTP/1.1 over TLS: 32 connections, as
// client-node and the project's own client talk), h2 (HTTP/2 over TLS: 32 streams on one connection, as kubectl and
// every client-go program talk). For https and h2 the server gets a CA, a serving certificate and --client-ca-file
// with --authorization-mode Node,RBAC; the client presents the admin's certificate (system:masters). both: http,
// https and h2 in one run, so the cost of TLS and authentication is measured against the same machine state.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { connect as http2Connect, type ClientHttp2Session } from "node:http2";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

const creates = Number(process.argv[2] ?? 20_000);
const volumes = Number(process.argv[3] ?? 10_000);
/** "sqlite" (default) or "memory": the latter shows what the HTTP layer costs without the store's fsyncs. */
const storeKind = process.argv[4] === "memory" ? "memory" : "sqlite";
const transportArg = process.argv[5] ?? "http";
const transports = (transportArg === "both" ? "http,https,h2" : transportArg).split(",");
type Transport = "http" | "https" | "h2";
for (const t of transports) if (!["http", "https", "h2"].includes(t)) throw new Error(`unknown transport ${t}`);

/** How the bench talks to the server: one request with its whole answer, or a stream of a watch's bytes. */
interface Client {
  send(method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; text: string }>;
  stream(path: string): Promise<{ body: Readable; stop(): void }>;
  close(): void;
}

type Tls = { ca: string; cert: string; key: string };

function http1Client(url: string, tls: Tls | undefined): Client {
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: 128, ...tls })
    : new HttpAgent({ keepAlive: true, maxSockets: 128 });
  const request = tls ? httpsRequest : httpRequest;
  const call = (method: string, path: string, body: string | undefined, contentType: string, keep: boolean) =>
    new Promise<IncomingMessage & { stop(): void }>((resolve, reject) => {
      const headers = body ? { "content-type": contentType, "content-length": Buffer.byteLength(body) } : {};
      const req = request(`${url}${path}`, { method, agent: keep ? agent : false, headers, ...tls }, (res) =>
        resolve(Object.assign(res, { stop: () => req.destroy() })),
      );
      req.on("error", reject);
      req.end(body);
    });
  return {
    async send(method, path, body, contentType = "application/json") {
      const res = await call(method, path, body, contentType, true);
      return { status: res.statusCode ?? 0, text: await text(res) };
    },
    async stream(path) {
      const res = await call("GET", path, undefined, "", false);
      return { body: res, stop: res.stop };
    },
    close: () => agent.destroy(),
  };
}

function http2Client(url: string, tls: Tls): Client {
  // client-go's window sizes: a large list is not held up by flow control
  const session: ClientHttp2Session = http2Connect(url, { ...tls, settings: { initialWindowSize: 4 << 20 } });
  session.on("error", () => {});
  const call = (method: string, path: string, body?: string, contentType = "application/json") => {
    const stream = session.request({
      ":method": method,
      ":path": path,
      ...(body ? { "content-type": contentType } : {}),
    });
    stream.end(body);
    return new Promise<{ status: number; stream: typeof stream }>((resolve, reject) => {
      stream.once("response", (headers) => resolve({ status: Number(headers[":status"]), stream }));
      stream.once("error", reject);
    });
  };
  return {
    async send(method, path, body, contentType) {
      const { status, stream } = await call(method, path, body, contentType);
      return { status, text: await text(stream) };
    },
    async stream(path) {
      const { stream } = await call("GET", path);
      return { body: stream, stop: () => stream.close() };
    },
    close: () => session.close(),
  };
}

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

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

async function startServer(dir: string, extraFlags: string[]): Promise<{ url: string; stop(): void; cpuMs(): number }> {
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
  return { url, stop: () => child.kill("SIGTERM"), cpuMs: () => processCpuMs(child.pid) };
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

/** 100 watchers on one namespace's configmaps, 200 updates 10 ms apart: delivery latency. */
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
  await Promise.all(Array.from({ length: 100 }, () => watch(client, revision, latencies, watchers)));
  for (let u = 0; u < updates; u++) {
    await patchTicker(client);
    await new Promise((r) => setTimeout(r, 10));
  }
  const deadline = Date.now() + 5000;
  while (latencies.length < updates * 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const stop of watchers) stop();
  return latencies.sort((a, b) => a - b);
}

const transportNames: Record<Transport, string> = {
  http: "http",
  https: "https (HTTP/1.1), client certificates, Node,RBAC",
  h2: "https (HTTP/2), client certificates, Node,RBAC",
};

async function main(transport: Transport): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "stowage-bench-"));
  const secure = transport === "http" ? undefined : await certificates(dir);
  const server = await startServer(dir, secure?.flags ?? []);
  const client =
    secure && transport === "h2" ? http2Client(server.url, secure.tls) : http1Client(server.url, secure?.tls);
  try {
    const created = await measureCreates(server, client);
    const { items, listMs } = await measureList(client);
    const updates = 200;
    const latencies = await measureWatch(client, updates);
    console.log(
      JSON.stringify({
        bench: "apiserver",
        store: storeKind,
        transport: transportNames[transport],
        creates,
        createFailures: created.failed,
        createsPerSecond: created.createsPerSecond,
        serverCpuUsPerCreate: created.cpuUsPerCreate,
        listItems: items,
        listMsMedian: Math.round(percentile(listMs, 50)),
        listMsBest: Math.round(listMs[0]),
        watchers: 100,
        watchUpdates: updates,
        watchDelivered: latencies.length,
        watchLatencyMsP50: Number(percentile(latencies, 50).toFixed(2)),
        watchLatencyMsP99: Number(percentile(latencies, 99).toFixed(2)),
      }),
    );
  } finally {
    server.stop();
    client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const transport of transports) await main(transport as Transport);
