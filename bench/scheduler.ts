// Scheduler benchmark (not a test): N pods, each with its own WaitForFirstConsumer claim, across M nodes, through
// the API on the SQLite store with the PV controller and the scheduler in-process (as `stowage up`).
//   node --import tsx bench/scheduler.ts [--pods 1000] [--nodes 10] [--store sqlite|memory]
// Each node has N/M static local PVs (class local-storage, kubernetes.io/no-provisioner, node affinity to the
// node): the scheduler matches each claim to a PV reachable from the node, pre-binds it (PV claimRef), the PV
// controller completes the binding, and the scheduler then binds the pod. Timed from the first pod create to
// every pod having spec.nodeName with every claim Bound. Prints one JSON object per figure on stdout.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Pod } from "../src/api/core/types.js";
import { createClient } from "../src/client/index.js";
import { controllerManagerComponent } from "../src/cli/controllermanager.js";
import { schedulerComponent } from "../src/cli/scheduler.js";
import { startUp } from "../src/cli/up.js";

const { values: args } = parseArgs({
  options: {
    pods: { type: "string", default: "1000" },
    nodes: { type: "string", default: "10" },
    store: { type: "string", default: "sqlite" },
  },
});
const podCount = Number(args.pods);
const nodeCount = Number(args.nodes);
if (!(podCount > 0 && nodeCount > 0)) throw new Error("--pods and --nodes must be positive");
if (args.store !== "sqlite" && args.store !== "memory") throw new Error("--store must be sqlite or memory");

const dir = await mkdtemp(join(tmpdir(), "stowage-bench-scheduler-"));
const running = await startUp({
  dataDir: dir,
  listen: "127.0.0.1:0",
  store: args.store,
  components: [controllerManagerComponent, schedulerComponent],
  log: () => undefined,
});
const client = createClient(running.transport());
const nodeName = (i: number) => `node-${i % nodeCount}`;

async function inBatches(count: number, fn: (i: number) => Promise<unknown>, width = 64): Promise<void> {
  for (let start = 0; start < count; start += width) {
    await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, k) => fn(start + k)));
  }
}

try {
  await inBatches(nodeCount, (i) =>
    client.nodes.create({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: `node-${i}`, labels: { "kubernetes.io/hostname": `node-${i}` } },
    }),
  );
  await client.storageClasses.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "local-storage" },
    provisioner: "kubernetes.io/no-provisioner",
    volumeBindingMode: "WaitForFirstConsumer",
  });
  await inBatches(podCount, (i) =>
    client.persistentVolumes.create({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `local-pv-${i}` },
      spec: {
        capacity: { storage: "10Gi" },
        accessModes: ["ReadWriteOnce"],
        storageClassName: "local-storage",
        local: { path: `/mnt/disks/${i}` },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [nodeName(i)] }] },
            ],
          },
        },
      },
    }),
  );
  await inBatches(podCount, (i) =>
    client.persistentVolumeClaims.create({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: `data-${i}`, namespace: "default" },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "local-storage",
        resources: { requests: { storage: "5Gi" } },
      },
    }),
  );
  // Let the PV controller mark every PV Available first: the scheduler only takes Available PVs.
  for (;;) {
    const pvs = await client.persistentVolumes.listAll();
    if (pvs.items.filter((pv) => pv.status?.phase === "Available").length === podCount) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const pod = (i: number): Pod => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: `app-${i}`, namespace: "default" },
    spec: {
      containers: [{ name: "app", image: "busybox" }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: `data-${i}` } }],
    },
  });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await inBatches(podCount, (i) => client.pods.create(pod(i)));
  const created = performance.now();
  let scheduled = 0;
  let perNode = new Map<string, number>();
  for (;;) {
    const pods = await client.pods.listAll({ namespace: "default" });
    perNode = new Map();
    scheduled = 0;
    for (const p of pods.items) {
      if (!p.spec.nodeName) continue;
      scheduled++;
      perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    }
    if (scheduled === podCount) break;
    if (performance.now() - started > 600_000) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const done = performance.now();
  const cpu = process.cpuUsage(cpuBefore);
  const claims = await client.persistentVolumeClaims.listAll({ namespace: "default" });
  const bound = claims.items.filter((c) => c.status?.phase === "Bound").length;
  const seconds = (done - started) / 1000;
  const print = (figure: Record<string, unknown>) => console.log(JSON.stringify(figure));
  print({ bench: "scheduler", store: args.store, pods: podCount, nodes: nodeCount, scheduled, claimsBound: bound });
  print({ figure: "pods_per_second", value: Math.round((scheduled / seconds) * 10) / 10, unit: "pods/s" });
  print({ figure: "total_seconds", value: Math.round(seconds * 1000) / 1000 });
  print({ figure: "create_seconds", value: Math.round((created - started) / 10) / 100 });
  print({ figure: "cpu_seconds", value: Math.round((cpu.user + cpu.system) / 1e4) / 100 });
  print({ figure: "pods_per_node", min: Math.min(...perNode.values()), max: Math.max(...perNode.values()) });
} finally {
  await running.stop();
  await rm(dir, { recursive: true, force: true });
}
