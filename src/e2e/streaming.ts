// A test world for logs and exec without a node agent: a real stowage (apiserver on a port, memory store), a Node
// whose status points at a real kubelet API server (src/node/server) on 127.0.0.1 — HTTPS, with a serving
// certificate from the stowage's CA, answering only the apiserver's kubelet client —, and pods made Running by hand
// whose containers are stand-in processes: `unshare --mount` with a temp dir bound at /mnt, so nsenter has a real
// mount namespace to enter. Container output is written by the test as CRI log lines at containerLogPath().
// Everything is stopped and removed in t.after.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFile, mkdir, mkdtemp, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import type { ContainerStatus, Pod } from "../api/core/types.js";
import { eventually, startStowage, type Stowage } from "./stowage.js";
import { createClient, type Client } from "../client/index.js";
import { containerLogPath, type ContainerRuntime } from "../node/runtime/runtime.js";
import { formatCriLine, type LogStream } from "../node/server/crilog.js";
import { startKubeletServer, type KubeletServer } from "../node/server/server.js";
import { nodeKubeletTls } from "./kubelettls.js";
import type { KubeletServingTls } from "../node/server/auth.js";

export const nodeName = "stream-node";

export interface StandInContainer {
  name: string;
  /** The host directory bound at /mnt inside the stand-in's mount namespace. */
  volume: string;
  process?: ChildProcess;
}

export interface StreamingWorld {
  stowage: Stowage;
  client: Client;
  rootDir: string;
  kubelet: KubeletServer;
  /** Creates a pod bound to the node; with `running`, its containers run as stand-ins and its status says so. */
  createPod(name: string, containers: string[], options?: { running?: boolean }): Promise<Pod>;
  container(pod: string, container: string): StandInContainer;
  /** Appends one CRI log line (the runtime's job) to the container's current log file. */
  writeLog(pod: Pod, container: string, text: string, stream?: LogStream, time?: Date): Promise<void>;
  /** Ends a stand-in container's process (its container stops running). */
  stopContainer(pod: string, container: string): Promise<void>;
  /** A kubectl left running (logs -f, exec -i): its output so far, its stdin, and its exit. */
  kubectlProcess(...args: string[]): KubectlProcess;
}

export interface KubectlProcess {
  output(): string;
  stderr(): string;
  child: ChildProcess;
  exited: Promise<{ code: number | null }>;
}

export interface StreamingWorldOptions {
  /** The kubelet's TLS material, from the stowage's data dir; default a serving certificate from its CA. */
  kubeletTls?(dataDir: string): Promise<KubeletServingTls>;
}

export async function startStreamingWorld(
  t: TestContext,
  options: StreamingWorldOptions = {},
): Promise<StreamingWorld> {
  const stowage = await startStowage(t, { store: "memory" });
  const client = createClient(stowage.transport());
  const rootDir = await mkdtemp(join(tmpdir(), "streaming-"));
  const pods = new Map<string, Pod>();
  const containers = new Map<string, StandInContainer>();
  const byUid = new Map<string, string>();

  // The stand-in runtime: a container runs while its stand-in process does.
  const runtime: ContainerRuntime = {
    name: "process",
    containerPid: (podUid, container) => {
      const pod = byUid.get(podUid);
      const process = pod === undefined ? undefined : containers.get(`${pod}/${container}`)?.process;
      return process && process.exitCode === null && process.signalCode === null ? process.pid : undefined;
    },
    containerUser: () => undefined, // stand-ins run as root
    killPod: () => Promise.resolve(),
  };
  const kubelet = await startKubeletServer({
    address: "127.0.0.1:0",
    tls: await (options.kubeletTls ?? ((dataDir) => nodeKubeletTls(dataDir, nodeName, "127.0.0.1")))(stowage.dataDir),
    rootDir,
    getPod: (namespace, name) => (namespace === "default" ? pods.get(name) : undefined),
    runtime: () => runtime,
    log: () => undefined,
  });
  t.after(async () => {
    for (const c of containers.values()) c.process?.kill("SIGKILL");
    await kubelet.close();
    await rm(rootDir, { recursive: true, force: true });
  });

  const node = await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name: nodeName }, spec: {} });
  await client.nodes.updateStatus({
    ...node,
    status: {
      addresses: [
        { type: "InternalIP", address: "127.0.0.1" },
        { type: "Hostname", address: nodeName },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
    },
  });

  async function startStandIn(container: StandInContainer): Promise<ChildProcess> {
    const child = spawn(
      "unshare",
      [
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'mount --bind "$0" /mnt && exec sleep 1000000',
        container.volume,
      ],
      { stdio: "ignore", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", STANDIN: container.name } },
    );
    // Running once the bind mount is in its namespace (sleep has replaced sh).
    await eventually(async () => {
      const exe = await readlink(`/proc/${child.pid}/exe`).catch(() => "");
      return exe.endsWith("/sleep") ? true : undefined;
    });
    return child;
  }

  return {
    stowage,
    client,
    rootDir,
    kubelet,
    async createPod(name, names, options = {}) {
      const created = await client.pods.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "default" },
        spec: { nodeName, containers: names.map((c) => ({ name: c, image: "busybox" })) },
      });
      const uid = created.metadata.uid ?? "";
      byUid.set(uid, name);
      const statuses: ContainerStatus[] = [];
      for (const c of names) {
        const container: StandInContainer = { name: c, volume: await mkdtemp(join(tmpdir(), `volume-${c}-`)) };
        t.after(() => rm(container.volume, { recursive: true, force: true }));
        containers.set(`${name}/${c}`, container);
        if (options.running) container.process = await startStandIn(container);
        statuses.push({
          name: c,
          ready: Boolean(options.running),
          restartCount: 0,
          image: "busybox",
          imageID: "",
          state: options.running
            ? { running: { startedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z") } }
            : { waiting: { reason: "ContainerCreating" } },
          ...(options.running ? { containerID: `stowage://${uid}/${c}` } : {}),
        });
      }
      const pod = await client.pods.updateStatus({
        ...created,
        status: { phase: options.running ? "Running" : "Pending", containerStatuses: statuses },
      });
      pods.set(name, pod);
      return pod;
    },
    container(pod, container) {
      const found = containers.get(`${pod}/${container}`);
      if (!found) throw new Error(`no container ${pod}/${container}`);
      return found;
    },
    async writeLog(pod, container, text, stream = "stdout", time = new Date()) {
      const ref = { namespace: "default", name: pod.metadata.name ?? "", uid: pod.metadata.uid ?? "" };
      const path = containerLogPath(rootDir, ref, container, 0);
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, formatCriLine(time, stream, text));
    },
    kubectlProcess(...args) {
      const env = {
        ...process.env,
        KUBECONFIG: stowage.kubeconfig,
        KUBECACHEDIR: join(stowage.dataDir, "kubectl-cache"),
      };
      const child = spawn("kubectl", args, { env, stdio: ["pipe", "pipe", "pipe"] });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<{ code: number | null }>((resolve) =>
        child.once("close", (code) => resolve({ code })),
      );
      t.after(() => void child.kill("SIGKILL"));
      return { output: () => out, stderr: () => err, child, exited };
    },
    async stopContainer(pod, container) {
      const process = containers.get(`${pod}/${container}`)?.process;
      if (!process || process.exitCode !== null) return;
      const exited = new Promise((resolve) => process.once("exit", resolve));
      process.kill("SIGKILL");
      await exited;
    },
  };
}
