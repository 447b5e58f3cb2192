// Node agent benchmark (not a test): pods with one CSI hostpath claim each, from create to Running with the volume
// staged and published (runtime none), through a real apiserver (memory store, in-process transport), the PV
// binder, a real hostpath driver over gRPC and real bind mounts. Needs root.
//   npx tsx bench/node.ts [--pods 500] [--quick] [--concurrency 10] [--runtime none|process] [--profile <file>]
//                                   [--agent in-process|process]
// --profile writes a .cpuprofile (for chrome://inspect or speedscope) of the pod-create phase alone.
// --agent process runs the agent as its own `stowage node` over HTTP (as on a machine of its own), so its memory
// and CPU are its own: read from /proc/<pid>; spawns and mountinfo reads are then counted only in-process.
// Before its figures it checks that every Running pod's volume is mounted at its publish path, and after teardown
// that nothing is left mounted; a step stuck past its deadline (a dead watch) fails the bench with no figure.
// Prints bench/lib/figure.ts's JSON lines. Besides wall-clock latency (noisy on a shared machine) it counts what
// each pod costs, which is stable: CPU time of this process and of the processes it spawned, processes spawned,
// and reads of /proc/self/mountinfo (whose cost grows with the number of mounts on the node).
import { ChildProcess, spawn as spawnProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import fsPromises from "node:fs/promises";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Pod } from "../src/api/core/types.js";
import { controllerManagerComponent } from "../src/cli/controllermanager.js";
import { startUp } from "../src/cli/up.js";
import { createClient } from "../src/client/index.js";
import { mountsUnder, unmount } from "../src/support/mount.js";
import { DRIVER_NAME, startDriver } from "../src/csi/drivers/hostpath/index.js";
import { CsiClient } from "../src/csi/client.js";
import { startNodeAgent } from "../src/node/agent.js";
import { kubeletTlsFlags, nodeKubeletTls } from "../src/e2e/kubelettls.js";
import { runtimeNames, type RuntimeName } from "../src/node/runtime/runtime.js";
import { checkMounted, checkNothingMounted } from "./checks/mounts.js";
import { openBench } from "./lib/bench.js";
import { untilCount } from "./lib/until.js";
import { pollUntil, within } from "./lib/wait.js";

const { values: args } = parseArgs({
  options: {
    pods: { type: "string" },
    quick: { type: "boolean", default: false },
    concurrency: { type: "string", default: "10" },
    runtime: { type: "string", default: "none" },
    profile: { type: "string" },
    agent: { type: "string", default: "in-process" },
  },
});
const podCount = Number(args.pods ?? (args.quick ? 50 : 500));
/** A step stuck this long fails the bench with no figure (a watch that died, a mount that never came). */
const deadlineMs = Math.max(60_000, podCount * 200);
const bench = openBench();
const concurrency = Number(args.concurrency);
if (!runtimeNames.includes(args.runtime as RuntimeName)) {
  throw new Error(`--runtime must be one of ${runtimeNames.join(", ")}, not ${JSON.stringify(args.runtime)}`);
}
const runtime = args.runtime as RuntimeName;
if (args.agent !== "in-process" && args.agent !== "process") {
  throw new Error(`--agent must be in-process or process, not ${JSON.stringify(args.agent)}`);
}
const nodeName = "node-1";

// Count spawned processes and mountinfo reads (builtins patched in place; syncBuiltinESMExports updates the named
// imports other modules already hold).
const counts = { spawns: 0, mountinfoReads: 0 };
// Every execFile/spawn/exec goes through ChildProcess.prototype.spawn (internal, hence untyped).
const childProto = ChildProcess.prototype as unknown as { spawn(...rest: unknown[]): unknown };
const spawn = childProto.spawn;
childProto.spawn = function (this: ChildProcess, ...rest: unknown[]) {
  counts.spawns++;
  return spawn.apply(this, rest);
};
const isMountinfo = (file: unknown) => typeof file === "string" && file.endsWith("/mountinfo");
const readFileSync = fs.readFileSync;
fs.readFileSync = function (file: unknown, ...rest: unknown[]) {
  if (isMountinfo(file)) counts.mountinfoReads++;
  return (readFileSync as (...a: unknown[]) => unknown)(file, ...rest);
} as typeof fs.readFileSync;
const readFile = fsPromises.readFile;
fsPromises.readFile = function (file: unknown, ...rest: unknown[]) {
  if (isMountinfo(file)) counts.mountinfoReads++;
  return (readFile as (...a: unknown[]) => unknown)(file, ...rest);
} as typeof fsPromises.readFile;
syncBuiltinESMExports();

/** CPU seconds of reaped child processes (/proc/self/stat cutime + cstime). */
function childrenCpuSeconds(): number {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) / 100; // fields 16 and 17 of proc(5), in clock ticks (USER_HZ)
}

const dir = await mkdtemp(join(tmpdir(), "bn-"));
const rootDir = join(dir, "root");
const endpoint = `unix://${join(dir, "csi.sock")}`;
const running = await startUp({
  dataDir: join(dir, "data"),
  listen: "127.0.0.1:0",
  store: "memory",
  components: [controllerManagerComponent],
  log: () => undefined,
});
const driver = await startDriver({ endpoint, nodeId: nodeName, stateDir: join(dir, "state"), log: () => undefined });
const csi = await CsiClient.connect(endpoint);
const client = createClient(running.transport());
const abort = new AbortController();
let agent: { stop(): Promise<void> };
let agentPid: number | undefined;
if (args.agent === "process") {
  const main = fileURLToPath(new URL("../src/cli/main.ts", import.meta.url));
  const flags = ["--kubeconfig", running.kubeconfig, "--node-name", nodeName, "--root-dir", rootDir];
  flags.push("--csi-driver", endpoint, "--runtime", runtime, ...(await kubeletTlsFlags(join(dir, "data"), nodeName)));
  const child = spawnProcess(process.execPath, ["--import", "tsx", main, "node", ...flags], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  agentPid = child.pid;
  agent = {
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await once(child, "exit");
    },
  };
} else {
  agent = await startNodeAgent({
    client,
    nodeName,
    rootDir,
    signal: abort.signal,
    csiDrivers: [endpoint],
    runtime,
    kubeletTls: await nodeKubeletTls(join(dir, "data"), nodeName),
    log: () => undefined,
  });
}
await client.csiDrivers.create({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIDriver",
  metadata: { name: DRIVER_NAME },
  spec: { attachRequired: false },
});

// Interrupted (Ctrl-C, or stdout closed by `| head`): leave no mounts behind, as a thousand leftover mounts make
// every mountinfo reader on the machine slower.
let interrupted = false;
const cleanUpAndExit = () => {
  if (interrupted) return;
  interrupted = true;
  abort.abort();
  void (async () => {
    await agent.stop().catch(() => undefined);
    for (const mount of (await mountsUnder(dir)).reverse()) await unmount(mount).catch(() => undefined);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    process.exit(130);
  })();
};
process.once("SIGINT", cleanUpAndExit);
process.once("SIGTERM", cleanUpAndExit);
process.stdout.on("error", cleanUpAndExit);

// A separate agent is ready once it has registered the driver in its CSINode.
if (agentPid !== undefined) {
  await pollUntil(60_000, "the agent's CSINode names the driver", async () => {
    const csiNode = await client.csiNodes.get(nodeName).catch(() => undefined);
    return csiNode?.spec.drivers?.some((d) => d.name === DRIVER_NAME) ?? false;
  });
}

/** utime + stime of a process, in ms (/proc/<pid>/stat fields 14 and 15, clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
const processRssMib = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024;

// Volumes, PVs and bound claims first: the figure is the node agent's, not the binder's.
for (let i = 0; i < podCount; i++) {
  const { volume } = await csi.controller.CreateVolume({
    name: `v${i}`,
    capacity_range: { required_bytes: 1 << 20 },
    volume_capabilities: [{ mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
    parameters: {},
  });
  await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `pv-${i}` },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      claimRef: { namespace: "default", name: `c${i}` },
      csi: { driver: DRIVER_NAME, volumeHandle: volume?.volume_id ?? "" },
    },
  });
  await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: `c${i}`, namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Mi" } },
      volumeName: `pv-${i}`,
      storageClassName: "",
    },
  });
}
const bound = (claim: { status?: { phase?: string } }) => claim.status?.phase === "Bound";
const ns = { namespace: "default" };
await untilCount(client.persistentVolumeClaims, bound, podCount, { ms: deadlineMs, what: "claims Bound" }, ns);

// Watch pods: the time a pod is first seen Running. A watch that fails fails every wait on it (no spinning).
const runningAt = new Map<string, number>();
const waiting = new Map<string, { resolve(): void; reject(err: unknown): void }>();
let watchFailed: unknown;
const watchAbort = new AbortController();
const list = await client.pods.list({ namespace: "default" });
void (async () => {
  try {
    for await (const event of client.pods.watch({
      namespace: "default",
      resourceVersion: list.metadata.resourceVersion,
      signal: watchAbort.signal,
    })) {
      const pod = event.object as Pod;
      const name = pod.metadata.name ?? "";
      if (pod.status?.phase === "Running" && !runningAt.has(name)) {
        runningAt.set(name, performance.now());
        waiting.get(name)?.resolve();
      }
    }
    if (!watchAbort.signal.aborted) throw new Error("the pods' watch ended");
  } catch (err) {
    if (watchAbort.signal.aborted) return;
    watchFailed = err;
    for (const w of waiting.values()) w.reject(err);
  }
})();
/** Until the pod is seen Running on the watch; throws if the watch failed or after the deadline. */
async function untilRunning(name: string): Promise<void> {
  if (runningAt.has(name)) return;
  if (watchFailed) throw watchFailed;
  const seen = new Promise<void>((resolve, reject) => waiting.set(name, { resolve, reject }));
  await within(deadlineMs, `pod ${name} Running`, seen);
}

const createdAt = new Map<string, number>();
const profiler = args.profile ? new Session() : undefined;
if (profiler) {
  profiler.connect();
  await profiler.post("Profiler.enable");
  await profiler.post("Profiler.start");
}
const countsStart = { ...counts };
const agentCpuStart = agentPid === undefined ? 0 : processCpuMs(agentPid);
const childrenCpuStart = childrenCpuSeconds();
const cpuStart = process.cpuUsage();
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < podCount) {
      const i = next++;
      const name = `p${i}`;
      createdAt.set(name, performance.now());
      await client.pods.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "default" },
        spec: {
          nodeName,
          volumes: [{ name: "data", persistentVolumeClaim: { claimName: `c${i}` } }],
          containers: [
            runtime === "process"
              ? { name: "app", image: "busybox", command: ["sleep", "3600"] }
              : { name: "app", image: "busybox" },
          ],
        },
      });
      await untilRunning(name);
    }
  }),
);
const elapsed = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
if (profiler && args.profile) {
  const { profile } = await profiler.post("Profiler.stop");
  await writeFile(args.profile, JSON.stringify(profile));
  profiler.disconnect();
}
const childrenCpu = childrenCpuSeconds() - childrenCpuStart;
const agentCpuMs = agentPid === undefined ? undefined : processCpuMs(agentPid) - agentCpuStart;
const perPod = (n: number) => +(n / podCount).toFixed(2);
const latencies = [...createdAt].map(([name, t]) => (runningAt.get(name) ?? NaN) - t).sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
// The check: each Running pod's volume is really mounted where the pod sees it (the kubelet's publish path).
const mounted = await mountsUnder(rootDir);
const podUids = new Map(
  (await client.pods.listAll(ns)).items.map((p) => [p.metadata.name ?? "", p.metadata.uid ?? ""]),
);
const targets = Array.from({ length: podCount }, (_, i) =>
  join(rootDir, "pods", podUids.get(`p${i}`) ?? "?", "volumes", "kubernetes.io~csi", `pv-${i}`, "mount"),
);
checkMounted(targets, mounted);
const mounts = mounted.length;
const memory = process.memoryUsage();
const podFigure = `pod create → Running (runtime ${runtime}, 1 CSI hostpath claim)`;
bench.figure({
  figure: "node.pod_running_ms_p50",
  value: pct(50),
  unit: "ms",
  detail: { what: podFigure, pods: podCount, concurrency, p90_ms: +pct(90).toFixed(1) },
});
bench.figure({
  figure: "node.pod_running_ms_p99",
  value: pct(99),
  unit: "ms",
  detail: {
    what: podFigure,
    pods: podCount,
    concurrency,
    max_ms: +latencies[latencies.length - 1].toFixed(1),
    pods_per_s: +(podCount / (elapsed / 1000)).toFixed(1),
    cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    agent: args.agent,
    cpu_ms_per_pod: perPod((cpu.user + cpu.system) / 1e3),
    ...(agentCpuMs === undefined ? {} : { agent_cpu_ms_per_pod: perPod(agentCpuMs) }),
    children_cpu_ms_per_pod: perPod(childrenCpu * 1e3),
    spawns_per_pod: perPod(counts.spawns - countsStart.spawns),
    mountinfo_reads_per_pod: perPod(counts.mountinfoReads - countsStart.mountinfoReads),
  },
});
bench.figure(
  agentPid === undefined
    ? {
        figure: "node.rss_mib_all_mounted",
        value: memory.rss / 2 ** 20,
        unit: "MiB",
        detail: {
          of: "whole process: apiserver, binder, driver and agent",
          mounts,
          heapUsedMiB: Math.round(memory.heapUsed / 2 ** 20),
        },
      }
    : {
        figure: "node.rss_mib_all_mounted",
        value: processRssMib(agentPid),
        unit: "MiB",
        detail: { of: "the stowage node process alone", mounts, benchProcessRssMiB: Math.round(memory.rss / 2 ** 20) },
      },
);

// Teardown: every pod deleted, every volume unpublished and unstaged.
const teardownStart = performance.now();
const teardownCounts = { ...counts };
const teardownCpuStart = process.cpuUsage();
const teardownChildrenCpuStart = childrenCpuSeconds();
for (let i = 0; i < podCount; i++) await client.pods.delete("default", `p${i}`);
// Pods gone is a watch's news; mounts gone only a read of mountinfo can prove.
await pollUntil(
  deadlineMs,
  "every pod gone and every mount undone",
  async () => {
    const left = (await client.pods.list({ namespace: "default", limit: 1 })).items.length;
    return left === 0 && (await mountsUnder(rootDir)).length === 0;
  },
  50,
);
checkNothingMounted(await mountsUnder(rootDir));
bench.figure({
  figure: "node.teardown_seconds",
  value: (performance.now() - teardownStart) / 1000,
  unit: "s",
  detail: {
    what: "delete every pod → volumes unpublished, unstaged, pods gone",
    pods: podCount,
    cpu_ms_per_pod: perPod((process.cpuUsage(teardownCpuStart).user + process.cpuUsage(teardownCpuStart).system) / 1e3),
    // runtime process: the containers (and their setup's mount commands) are reaped here, as they exit.
    children_cpu_ms_per_pod: perPod((childrenCpuSeconds() - teardownChildrenCpuStart) * 1e3),
    spawns_per_pod: perPod(counts.spawns - teardownCounts.spawns),
    mountinfo_reads_per_pod: perPod(counts.mountinfoReads - teardownCounts.mountinfoReads),
  },
});

watchAbort.abort();
abort.abort();
await agent.stop();
csi.close();
await driver.stop();
await running.stop();
for (const mount of (await mountsUnder(dir)).reverse()) await unmount(mount).catch(() => undefined);
await rm(dir, { recursive: true, force: true });
bench.finish();
