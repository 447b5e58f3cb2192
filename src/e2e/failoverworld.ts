// The failover world (issue 17): a stowage (`up` with one in-process node, whose block driver instance serves the
// controller side) and N "machines", each a real `stowage node --runtime process` process with its own root dir
// and its own `stowage csi block` process on the shared cloud (<data-dir>/csi/block), reaching the apiserver
// through a TCP proxy of its own. A machine can be killed (agent, driver and containers SIGKILLed, its mounts and
// loop devices left as a dead machine leaves them) or partitioned (its proxy drops every connection and refuses
// new ones: the agent is alive but cut off) and healed. Used by failover.test.ts and bench/failover.ts.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, connect, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { Pod } from "../api/core/types.js";
import { killProcess, spawnAgent, spawnStowage } from "./agentprocess.js";
import { stowageBundle } from "./bundle.js";
import { defaultUpComponents } from "./parts.js";
import { containerProcesses } from "./processruntime.js";
import { eventually, startStowage, type Stowage } from "./stowage.js";

/** A TCP proxy that can be cut (every connection dropped, new ones refused) and healed. */
export class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private cut = false;
  private readonly server: Server;
  port = 0;

  private constructor(targetPort: number) {
    this.server = createServer((client) => {
      if (this.cut) return void client.destroy();
      const upstream = connect(targetPort, "127.0.0.1");
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
  }

  static async start(targetPort: number): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    const address = proxy.server.address();
    assert.ok(address && typeof address === "object");
    proxy.port = address.port;
    return proxy;
  }

  partition(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.partition();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface Machine {
  name: string;
  rootDir: string;
  agent: ChildProcess;
  driver: ChildProcess;
  proxy: CuttableProxy;
}

export interface FailoverWorld {
  stowage: Stowage;
  machines: Machine[];
  /** The machine dies: agent, driver and every container SIGKILLed; its mounts and loop devices stay. */
  kill(machine: Machine): Promise<void>;
  /** A killed machine boots again: its driver and agent start on the same root dir. */
  revive(machine: Machine): Promise<void>;
  machine(name: string): Machine;
  podOnMachine(name: string): Promise<Pod | undefined>;
}

/** SIGTERM (an agent stops its containers), SIGKILL if it is still there after 10 s. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** SIGKILLs every container process started under `rootDir` (one that exited meanwhile is fine). */
async function killContainers(rootDir: string): Promise<void> {
  for (const pid of await containerProcesses(rootDir)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
}

/** The apiserver's port, from the stowage's URL. */
const portOf = (url: string) => Number(new URL(url).port);

export async function startFailoverWorld(
  t: TestContext,
  options: { machines?: number; fenceAfter?: string } = {},
): Promise<FailoverWorld> {
  assert.equal(process.getuid?.(), 0, "the failover world needs root (loop devices, mounts, containers)");
  const stowage = await startStowage(t, {
    store: "memory",
    components: defaultUpComponents({ runtime: "none", nodes: 1 }),
  });
  const bundle = await stowageBundle(t);
  const machines: Machine[] = [];
  t.after(async () => {
    // Stopped, not killed: an agent that stops kills its containers; then whatever a killed machine left.
    for (const m of machines) {
      await stopProcess(m.agent);
      await killProcess(m.driver);
      await m.proxy.close();
      await killContainers(m.rootDir);
    }
  });
  const kubeconfigText = await readFile(stowage.kubeconfig, "utf8");
  const cloud = join(stowage.dataDir, "csi", "block");
  const count = options.machines ?? 3;
  const boot = async (name: string, rootDir: string) => {
    const kubeconfig = join(rootDir, "..", `${name}.kubeconfig`);
    const endpoint = `unix://${join(rootDir, "..", `${name}-block.sock`)}`;
    const driverArgs = ["csi", "block", "--endpoint", endpoint, "--node-id", name, "--state-dir", cloud];
    const driver = await spawnStowage(driverArgs, "serving on", bundle);
    const agent = await spawnAgent({
      kubeconfig,
      dataDir: stowage.dataDir,
      nodeName: name,
      rootDir,
      csiDrivers: [endpoint],
      bundle,
      extraArgs: ["--runtime", "process", ...(options.fenceAfter ? ["--fence-after", options.fenceAfter] : [])],
    });
    return { driver, agent };
  };
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const name = `machine-${i + 1}`;
      const rootDir = join(stowage.dataDir, "machines", name);
      await mkdir(rootDir, { recursive: true });
      const proxy = await CuttableProxy.start(portOf(stowage.url));
      const kubeconfig = join(rootDir, "..", `${name}.kubeconfig`);
      await writeFile(kubeconfig, kubeconfigText.replaceAll(stowage.url, `https://127.0.0.1:${proxy.port}`), {
        mode: 0o600,
      });
      machines.push({ name, rootDir, proxy, ...(await boot(name, rootDir)) });
    }),
  );
  machines.sort((a, b) => a.name.localeCompare(b.name));
  return {
    stowage,
    machines,
    machine: (name) => {
      const found = machines.find((m) => m.name === name);
      assert.ok(found, `no machine ${name}`);
      return found;
    },
    async kill(machine) {
      await Promise.all([killProcess(machine.agent), killProcess(machine.driver)]);
      await killContainers(machine.rootDir);
      await eventually(async () => ((await containerProcesses(machine.rootDir)).length === 0 ? true : undefined));
    },
    async revive(machine) {
      Object.assign(machine, await boot(machine.name, machine.rootDir));
    },
    async podOnMachine(name) {
      const list = JSON.parse(await stowage.kubectl("get", "pods", "-o", "json")) as { items: Pod[] };
      return list.items.find((p) => p.spec.nodeName === name && !p.metadata.deletionTimestamp);
    },
  };
}

// ---- The workload both the test and the benchmark run --------------------------------------------------------

const machineNames = ["machine-1", "machine-2", "machine-3"];

/** seq-0 appends "<n> <node>" to /data/seq every 100 ms, continuing the count it finds. */
export const sequenceStatefulSet = `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: seq}
spec:
  serviceName: seq
  replicas: 1
  selector: {matchLabels: {app: seq}}
  template:
    metadata: {labels: {app: seq}}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${machineNames.join(", ")}]}]
      containers:
        - name: writer
          image: busybox
          env: [{name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]
          command:
            - sh
            - -c
            - 'n=$(cat /data/seq 2>/dev/null | wc -l); while true; do n=$((n+1)); echo "$n $NODE" >> /data/seq; sleep 0.1; done'
          volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        storageClassName: block-movable
        resources: {requests: {storage: 16Mi}}
`;

/** The running seq-0, once it is Running on a node other than `not` (and has written a line there). */
export async function runningElsewhere(world: FailoverWorld, not: string | undefined, timeoutMs: number): Promise<Pod> {
  try {
    return await untilRunningElsewhere(world, not, timeoutMs);
  } catch (err) {
    // What one would look at: where the pod is, the nodes' taints, the events.
    const look = async (...args: string[]) => (await world.stowage.kubectlResult(args)).stdout;
    const state = [
      await look("get", "pods", "-o", "wide"),
      await look("get", "nodes", "-o", "custom-columns=NAME:.metadata.name,TAINTS:.spec.taints[*].key"),
      await look("get", "volumeattachments"),
      await look("get", "events", "-A", "--sort-by=.lastTimestamp"),
    ];
    throw new Error(`seq-0 not running off ${not ?? "-"}: ${String(err)}\n${state.join("\n")}`);
  }
}

async function untilRunningElsewhere(world: FailoverWorld, not: string | undefined, timeoutMs: number): Promise<Pod> {
  return eventually(async () => {
    const pod = JSON.parse(await world.stowage.kubectl("get", "pod", "seq-0", "-o", "json")) as Pod;
    const node = pod.spec.nodeName;
    if (!node || node === not || pod.status?.phase !== "Running" || pod.metadata.deletionTimestamp) return undefined;
    const lines = await sequenceLines(world, pod);
    return lines.some((line) => line.node === node) ? pod : undefined;
  }, timeoutMs);
}

/** The sequence file as the pod's node sees it (its mount of the claim on that machine). */
export async function sequenceLines(world: FailoverWorld, pod: Pod): Promise<Array<{ n: number; node: string }>> {
  const pv = (await world.stowage.kubectl("get", "pvc", "data-seq-0", "-o", "jsonpath={.spec.volumeName}")).trim();
  const machine = world.machine(pod.spec.nodeName ?? "");
  const file = join(
    machine.rootDir,
    "pods",
    pod.metadata.uid ?? "",
    "volumes",
    "kubernetes.io~csi",
    pv,
    "mount",
    "seq",
  );
  const text = await readFile(file, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [n, node] = line.split(" ");
      return { n: Number(n), node };
    });
}

/**
 * Every line numbered in order (nothing lost), and the writers in exactly the order the pod ran on them, each in one
 * unbroken run (`tenures`, e.g. ["machine-1", "machine-3"]): an old node's line after the next node's first would
 * break its run in two. Never two writers.
 */
export function assertHandedOver(lines: Array<{ n: number; node: string }>, tenures: string[]): void {
  lines.forEach((line, i) => assert.equal(line.n, i + 1, `line ${i + 1} is numbered ${line.n}: a write was lost`));
  const runs: string[] = [];
  for (const line of lines) if (runs[runs.length - 1] !== line.node) runs.push(line.node);
  assert.deepEqual(runs, tenures, "the writers, in order: each node's lines in one run, none after its successor's");
}
