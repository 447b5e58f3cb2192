// Node agent benchmark (not a test): pods with one CSI hostpath claim each, from create to Running with the volume
// staged and published (runtime none), through a real apiserver (memory store, in-process transport), the PV
// binder, a real hostpath driver over gRPC and real bind mounts. Needs root.
//   node --import tsx bench/node.ts [--pods 500] [--concurrency 10]
// Prints one JSON object per figure on stdout.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Pod } from "../src/api/core/types.js";
import { controllerManagerComponent } from "../src/cli/controllermanager.js";
import { startUp } from "../src/cli/up.js";
import { createClient, inProcessTransport } from "../src/client/index.js";
import { mountsUnder, unmount } from "../src/csi/drivers/mount.js";
import { DRIVER_NAME, startDriver } from "../src/csi/drivers/hostpath/index.js";
import { CsiClient } from "../src/csi/client.js";
import { startNodeAgent } from "../src/node/agent.js";

const { values: args } = parseArgs({
  options: { pods: { type: "string", default: "500" }, concurrency: { type: "string", default: "10" } },
});
const podCount = Number(args.pods);
const concurrency = Number(args.concurrency);
const nodeName = "node-1";

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
const client = createClient(inProcessTransport(running.handler));
const abort = new AbortController();
const agent = await startNodeAgent({
  client,
  nodeName,
  rootDir,
  signal: abort.signal,
  csiDrivers: [endpoint],
  log: () => undefined,
});
await client.csiDrivers.create({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIDriver",
  metadata: { name: DRIVER_NAME },
  spec: { attachRequired: false },
});

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
for (;;) {
  const claims = await client.persistentVolumeClaims.listAll({ namespace: "default" });
  if (claims.items.filter((c) => c.status?.phase === "Bound").length === podCount) break;
  await new Promise((r) => setTimeout(r, 100));
}

// Watch pods: the time a pod is first seen Running.
const runningAt = new Map<string, number>();
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
      if (pod.status?.phase === "Running" && !runningAt.has(pod.metadata.name ?? ""))
        runningAt.set(pod.metadata.name ?? "", performance.now());
    }
  } catch {
    // aborted
  }
})();

const createdAt = new Map<string, number>();
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
          containers: [{ name: "app", image: "busybox" }],
        },
      });
      while (!runningAt.has(name)) await new Promise((r) => setTimeout(r, 2));
    }
  }),
);
const elapsed = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
const latencies = [...createdAt].map(([name, t]) => (runningAt.get(name) ?? NaN) - t).sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
const mounts = (await mountsUnder(rootDir)).length;
const memory = process.memoryUsage();
console.log(
  JSON.stringify({
    figure: "pod create → Running (runtime none, 1 CSI hostpath claim)",
    pods: podCount,
    concurrency,
    p50_ms: +pct(50).toFixed(1),
    p90_ms: +pct(90).toFixed(1),
    p99_ms: +pct(99).toFixed(1),
    max_ms: +latencies[latencies.length - 1].toFixed(1),
    pods_per_s: +(podCount / (elapsed / 1000)).toFixed(1),
    cpu_s: +((cpu.user + cpu.system) / 1e6).toFixed(2),
  }),
);
console.log(
  JSON.stringify({
    figure: "memory with every volume mounted (whole process: apiserver, binder, driver and agent)",
    mounts,
    rss_mib: +(memory.rss / 2 ** 20).toFixed(1),
    heap_used_mib: +(memory.heapUsed / 2 ** 20).toFixed(1),
  }),
);

// Teardown: every pod deleted, every volume unpublished and unstaged.
const teardownStart = performance.now();
for (let i = 0; i < podCount; i++) await client.pods.delete("default", `p${i}`);
for (;;) {
  const left = (await client.pods.list({ namespace: "default" })).items.length;
  if (left === 0 && (await mountsUnder(rootDir)).length === 0) break;
  await new Promise((r) => setTimeout(r, 50));
}
console.log(
  JSON.stringify({
    figure: "delete every pod → volumes unpublished, unstaged, pods gone",
    pods: podCount,
    seconds: +((performance.now() - teardownStart) / 1000).toFixed(2),
  }),
);

watchAbort.abort();
abort.abort();
await agent.stop();
csi.close();
await driver.stop();
await running.stop();
for (const mount of (await mountsUnder(dir)).reverse()) await unmount(mount).catch(() => undefined);
await rm(dir, { recursive: true, force: true });
