// PV binder benchmark (not a test): N Pending claims against M Available volumes of mixed sizes and classes,
// through the API on the SQLite store, until every claim is Bound.
//   node --import tsx bench/pvbinder.ts [--claims 10000] [--volumes 10000] [--mode inprocess|process] [--workers 16]
// --mode inprocess runs the controller-manager in this process on the in-process transport (as `stowage up`);
// --mode process runs `stowage controller-manager` as a child over HTTP and reports that child's memory.
// Prints one JSON object per figure on stdout.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClient } from "../src/client/index.js";
import { startUp } from "../src/cli/up.js";
import { startControllerManager } from "../src/controllers/manager.js";

const { values: args } = parseArgs({
  options: {
    claims: { type: "string", default: "10000" },
    volumes: { type: "string", default: "10000" },
    mode: { type: "string", default: "inprocess" },
    workers: { type: "string", default: "16" },
  },
});
const claimCount = Number(args.claims);
const volumeCount = Number(args.volumes);
const workers = Number(args.workers);
if (!(claimCount > 0 && volumeCount >= claimCount)) throw new Error("need 0 < --claims <= --volumes");
if (args.mode !== "inprocess" && args.mode !== "process") throw new Error("--mode must be inprocess or process");

const classes = ["", "gold", "silver"];
const sizes = ["1Gi", "2Gi", "5Gi", "10Gi", "20Gi", "50Gi", "100Gi"];
const modes = [["ReadWriteOnce"], ["ReadWriteOnce", "ReadOnlyMany"], ["ReadWriteMany"]] as const;
const volumeShape = (i: number) => ({
  className: classes[i % classes.length],
  size: sizes[Math.floor(i / classes.length) % sizes.length],
  modes: modes[Math.floor(i / (classes.length * sizes.length)) % modes.length],
});

const dir = await mkdtemp(join(tmpdir(), "stowage-bench-pvbinder-"));
const running = await startUp({
  dataDir: dir,
  listen: "127.0.0.1:0",
  store: "sqlite",
  components: [],
  log: () => undefined,
});
const client = createClient(running.transport());

async function inBatches(n: number, make: (i: number) => Promise<unknown>): Promise<void> {
  const batch = 500;
  for (let i = 0; i < n; i += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, j) => make(i + j)));
  }
}

let started = performance.now();
await inBatches(volumeCount, (i) => {
  const s = volumeShape(i);
  return client.persistentVolumes.create({
    metadata: { name: `pv-${i}` },
    spec: {
      capacity: { storage: s.size },
      accessModes: [...s.modes],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: s.className,
      hostPath: { path: `/tmp/stowage-bench/pv-${i}` },
    },
  });
});

/** Resolves when `done(count)` holds for the objects seen on a watch of the resource from now on. */
async function watchUntil<T extends { metadata: { name?: string }; status?: { phase?: string } }>(
  list: () => Promise<{ items: T[]; metadata: { resourceVersion?: string } }>,
  watch: (rv: string | undefined, signal: AbortSignal) => AsyncIterable<{ type: string; object: T }>,
  phase: string,
  want: number,
): Promise<void> {
  const names = new Set<string>();
  const first = await list();
  for (const o of first.items) if (o.status?.phase === phase) names.add(o.metadata.name ?? "");
  if (names.size >= want) return;
  const abort = new AbortController();
  for await (const event of watch(first.metadata.resourceVersion, abort.signal)) {
    if (event.type === "BOOKMARK") continue;
    if (event.object.status?.phase === phase) names.add(event.object.metadata.name ?? "");
    else names.delete(event.object.metadata.name ?? "");
    if (names.size >= want) break;
  }
  abort.abort();
}

// The controller-manager: in this process on the in-process transport, or a child over HTTP.
const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
type Running = { stop(): Promise<void>; pid?: number };
async function startManager(): Promise<Running> {
  if (args.mode === "inprocess") {
    const abort = new AbortController();
    const manager = await startControllerManager({ client, signal: abort.signal, workers, log: () => undefined });
    return { stop: () => (abort.abort(), manager.stop()) };
  }
  const child = spawn(
    process.execPath,
    ["--import", "tsx", main, "controller-manager", "--kubeconfig", running.kubeconfig, "--workers", String(workers)],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return {
    pid: child.pid,
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

// First make every volume Available (a new PV is Pending until the binder's first sync), with no claims yet.
let manager = await startManager();
await watchUntil(
  () => client.persistentVolumes.list(),
  (rv, signal) => client.persistentVolumes.watch({ resourceVersion: rv, signal }),
  "Available",
  volumeCount,
);
await manager.stop();
console.log(
  JSON.stringify({ figure: "volumes-available", volumes: volumeCount, seconds: (performance.now() - started) / 1000 }),
);

// Claims ask for what volume k offers (a spread-out subset when there are more volumes than claims), so
// every claim has a fit but the binder must still find the smallest one among volumes of every size and class.
const stride = volumeCount / claimCount;
await inBatches(claimCount, (i) => {
  const s = volumeShape(Math.floor(i * stride));
  return client.persistentVolumeClaims.create({
    metadata: { name: `claim-${i}`, namespace: "default" },
    spec: { accessModes: [...s.modes], storageClassName: s.className, resources: { requests: { storage: s.size } } },
  });
});

// Measured: a fresh controller-manager lists everything and binds every Pending claim.
const heapBefore = process.memoryUsage().heapUsed;
started = performance.now();
manager = await startManager();
const readySeconds = (performance.now() - started) / 1000;
await watchUntil(
  () => client.persistentVolumeClaims.list({ namespace: "default" }),
  (rv, signal) => client.persistentVolumeClaims.watch({ namespace: "default", resourceVersion: rv, signal }),
  "Bound",
  claimCount,
);
const seconds = (performance.now() - started) / 1000;
let memory: Record<string, number>;
if (manager.pid) {
  const status = readFileSync(`/proc/${manager.pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  memory = { controllerRssMiB: kb("VmRSS") / 1024, controllerPeakRssMiB: kb("VmHWM") / 1024 };
} else {
  memory = {
    heapGrowthMiB: (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20,
    processRssMiB: process.memoryUsage().rss / 2 ** 20,
  };
}
console.log(
  JSON.stringify({
    figure: "bind",
    mode: args.mode,
    workers,
    volumes: volumeCount,
    claims: claimCount,
    readySeconds: Number(readySeconds.toFixed(2)),
    seconds: Number(seconds.toFixed(2)),
    claimsPerSecond: Math.round(claimCount / seconds),
    ...Object.fromEntries(Object.entries(memory).map(([k, v]) => [k, Number(v.toFixed(1))])),
  }),
);

await manager.stop();

await running.stop();
await rm(dir, { recursive: true, force: true });
