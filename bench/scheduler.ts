// Scheduler benchmark (not a test): N pods, each with its own WaitForFirstConsumer claim of a CSI class, across M
// registered nodes, through the API on the SQLite store with the controller-manager and the scheduler in-process (as
// `stowage up`). Nodes are registered as kwok does, without agents: a Node, a CSINode with the driver's attach limit
// and a CSIStorageCapacity per node, too small to provision a claim (each node's disk holds its PVs). Each node has
// N/M static CSI PVs with node affinity to it: the scheduler matches each claim to a PV reachable from a node,
// pre-binds it, the PV controller completes the binding, and the scheduler
// binds the pod. Timed from the first pod create to every pod on a node with every claim Bound (waited for on
// watches); then checked: every pod's claims Bound to their own PV, and each PV's node affinity admits the pod's node.
//   npx tsx bench/scheduler.ts [--pods 5000] [--nodes 5000] [--store sqlite|memory] [--quick] [--deadline s]
// Figures: bench/lib/figure.ts's JSON lines. Goal (issue 20): ≥ 240 pods/s for 5,000 pods on 5,000 nodes.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Pod } from "../src/api/core/types.js";
import { createClient } from "../src/client/index.js";
import { controllerManagerClients } from "../src/cli/controllermanager.js";
import type { UpComponent } from "../src/cli/component.js";
import { startControllerManager } from "../src/controllers/manager.js";
import { schedulerComponent } from "../src/cli/scheduler.js";
import { startUp } from "../src/cli/up.js";
import { checkScheduled } from "./checks/scheduling.js";
import { runBench } from "./lib/bench.js";
import { peakRssMiB } from "./lib/memory.js";
import { untilCount } from "./lib/until.js";

const { values: args } = parseArgs({
  options: {
    pods: { type: "string" },
    nodes: { type: "string" },
    store: { type: "string", default: "sqlite" },
    quick: { type: "boolean", default: false },
    // Each wait's limit; the default suits a quiet machine, a loaded one may need longer (the figure is still measured).
    deadline: { type: "string" },
  },
});
const podCount = Number(args.pods ?? (args.quick ? 500 : 5000));
const nodeCount = Number(args.nodes ?? podCount);
if (!(podCount > 0 && nodeCount > 0)) throw new Error("--pods and --nodes must be positive");
if (args.store !== "sqlite" && args.store !== "memory") throw new Error("--store must be sqlite or memory");
const atScale = podCount >= 5000 && nodeCount >= 5000;
const deadlineMs = args.deadline ? Number(args.deadline) * 1000 : Math.max(60_000, podCount * 40);
if (!(deadlineMs > 0)) throw new Error("--deadline must be a positive number of seconds");
const driver = "ebs.csi.aws.com"; // upstream scheduler_perf's CSI driver name; no driver runs, as there
const nodeName = (i: number) => `node-${i % nodeCount}`;
/** Upstream's threshold, cited (it runs Go's scheduler on a bigger machine; it cannot run here). */
const upstream = {
  value: 100,
  source:
    "kubernetes/kubernetes test/integration/scheduler_perf/volumes/performance-config.yaml, " +
    "SchedulingCSIPVs/5000Nodes_5000Pods threshold (issue 20 quotes 48 from an older copy)",
};

type Client = ReturnType<typeof createClient>;

const began = performance.now();
/** Progress on stderr (stdout carries only figures): where a long run is, and how long each step took. */
const say = (what: string): void => {
  process.stderr.write(`[scheduler bench ${((performance.now() - began) / 1000).toFixed(1)} s] ${what}\n`);
};

async function inBatches(count: number, fn: (i: number) => Promise<unknown>, width = 64): Promise<void> {
  for (let start = 0; start < count; start += width) {
    await Promise.all(Array.from({ length: Math.min(width, count - start) }, (_, k) => fn(start + k)));
  }
}

/** What kwok registers for a node without an agent, plus the CSI objects a node plugin would publish. */
async function registerNode(client: Client, i: number): Promise<void> {
  const name = `node-${i}`;
  const labels = { "kubernetes.io/hostname": name, "topology.ebs.csi.aws.com/zone": name };
  await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name, labels } });
  await client.csiNodes.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSINode",
    metadata: { name },
    spec: {
      drivers: [
        { name: driver, nodeID: name, allocatable: { count: 39 }, topologyKeys: ["topology.ebs.csi.aws.com/zone"] },
      ],
    },
  });
  await client.csiStorageCapacities.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIStorageCapacity",
    metadata: { name: `capacity-${name}`, namespace: "default" },
    storageClassName: "csi-wffc",
    nodeTopology: { matchLabels: { "topology.ebs.csi.aws.com/zone": name } },
    // The node's disk is taken by its pre-made PV: too little is left to provision a 5Gi claim. So the only nodes
    // that fit a pod are those whose PV is still free; without this the scheduler may rightly send a pod to a node
    // to have its volume provisioned there, and no driver runs here to do it.
    capacity: "1Gi",
  });
}

async function createVolumesAndClaims(client: Client): Promise<void> {
  // The driver publishes its capacity (CSIStorageCapacity), so the scheduler asks it before provisioning anywhere.
  await client.csiDrivers.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: driver },
    spec: { attachRequired: true, storageCapacity: true },
  });
  await client.storageClasses.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "csi-wffc" },
    provisioner: driver,
    volumeBindingMode: "WaitForFirstConsumer",
  });
  await inBatches(podCount, (i) =>
    client.persistentVolumes.create({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: `csi-pv-${i}` },
      spec: {
        capacity: { storage: "10Gi" },
        accessModes: ["ReadWriteOnce"],
        storageClassName: "csi-wffc",
        csi: { driver, volumeHandle: `vol-${i}` },
        nodeAffinity: {
          required: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: "topology.ebs.csi.aws.com/zone", operator: "In", values: [nodeName(i)] }] },
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
        storageClassName: "csi-wffc",
        resources: { requests: { storage: "5Gi" } },
      },
    }),
  );
}

/**
 * The controller-manager of `stowage up` (the PV controller completes each binding), with the node lifecycle
 * controller's monitor and fencing left idle: kwok-style nodes have no kubelet to post status or renew a Lease, so
 * it would taint them unreachable and out of service once the setup outlasts its grace. Upstream's scheduler_perf
 * runs no node lifecycle controller at all.
 */
const controllerManager: UpComponent = {
  name: "controller-manager",
  async start(ctx) {
    const manager = await startControllerManager({
      ...controllerManagerClients(ctx),
      signal: ctx.signal,
      protectedPaths: [ctx.dataDir],
      nodeMonitorPeriodMs: 86_400_000,
      nodeFenceGraceMs: 0,
      log: (message, fields) => ctx.log(`controller-manager: ${message} ${JSON.stringify(fields)}`),
    });
    return { stop: () => manager.stop() };
  },
};

const pod = (i: number): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: `app-${i}`, namespace: "default" },
  spec: {
    containers: [{ name: "app", image: "busybox" }],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: `data-${i}` } }],
  },
});

await runBench("scheduler", async (ctx) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-bench-scheduler-"));
  const running = await startUp({
    dataDir: dir,
    listen: "127.0.0.1:0",
    store: args.store as "sqlite" | "memory",
    components: [controllerManager, schedulerComponent],
    log: process.env.BENCH_LOG ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined,
  });
  const client = createClient(running.transport());
  try {
    await inBatches(nodeCount, (i) => registerNode(client, i));
    say(`${nodeCount} nodes registered`);
    await createVolumesAndClaims(client);
    say(`${podCount} PVs and claims created`);
    // The PV controller marks every PV Available first: the scheduler only takes Available PVs.
    const available = (pv: { status?: { phase?: string } }) => pv.status?.phase === "Available";
    await untilCount(client.persistentVolumes, available, podCount, { ms: deadlineMs, what: "PVs Available" });
    say("PVs Available; creating pods");

    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await inBatches(podCount, (i) => client.pods.create(pod(i)));
    const createdSeconds = (performance.now() - started) / 1000;
    say(`${podCount} pods created`);
    const ns = { namespace: "default" };
    const onNode = (p: Pod) => Boolean(p.spec.nodeName);
    await untilCount(client.pods, onNode, podCount, { ms: deadlineMs, what: "pods on a node" }, ns);
    say("every pod on a node");
    const bound = (c: { status?: { phase?: string } }) => c.status?.phase === "Bound";
    await untilCount(client.persistentVolumeClaims, bound, podCount, { ms: deadlineMs, what: "claims Bound" }, ns);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    const [pods, claims, volumes, nodes] = await Promise.all([
      client.pods.listAll(ns),
      client.persistentVolumeClaims.listAll(ns),
      client.persistentVolumes.listAll(),
      client.nodes.listAll(),
    ]);
    checkScheduled(pods.items, claims.items, volumes.items, nodes.items);
    const detail = {
      pods: podCount,
      nodes: nodeCount,
      store: args.store as "sqlite" | "memory",
      createdSeconds: +createdSeconds.toFixed(2),
      seconds: +seconds.toFixed(2),
      cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    };
    ctx.figure({
      figure: "scheduler.pods_per_second",
      value: podCount / seconds,
      unit: "pods/s",
      ...(atScale ? { goal: { op: ">=" as const, value: 240 }, cited: upstream } : {}),
      rssPeakMiB: peakRssMiB(),
      detail,
    });
  } finally {
    await running.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
