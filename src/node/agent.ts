// The node agent (the kubelet's storage half): registers this Node and heartbeats its Lease, knows the CSI drivers
// on this node, and runs the volume manager — desired state from the pods bound here, actual state from what is
// mounted (reconstructed from disk at start), a reconciler converging the two — plus the pod worker that reports
// pod status (runtime "none": Running once every volume is set up; runtime "process": the pod's containers run as
// processes with its volumes bound in, src/node/runtime/process.ts) and confirms deletions once containers and
// volumes are gone.
import { setMaxListeners } from "node:events";
import { mkdir } from "node:fs/promises";
import type { Pod } from "../api/core/types.js";
import {
  createEventRecorder,
  createInformerFactory,
  Informer,
  type Client,
  type EventRecorder,
} from "../client/index.js";
import { CsiRegistry } from "./csidrivers.js";
import { EvictionManager } from "./eviction.js";
import { cleanupOrphanedPodDirs, removeOrphanedPodDir } from "./housekeeping.js";
import { NodeStatusManager } from "./nodestatus.js";
import { NodePaths } from "./paths.js";
import type { PluginContext } from "./plugins/context.js";
import { VolumePluginRegistry } from "./plugins/registry.js";
import { watchPluginsRegistry, type PluginHandler } from "./pluginregistration/watcher.js";
import { PodWorker } from "./podworker.js";
import { ProcessRuntime, type ProcessRuntimeOptions } from "./runtime/process.js";
import { noneRuntime, type ContainerRuntime, type RuntimeName } from "./runtime/runtime.js";
import { startKubeletServer } from "./server/server.js";
import { TokenManager } from "./tokenmanager.js";
import { volumesInUse, promptVolumesInUse } from "./volumesinuse.js";
import { reconstruct } from "./volumemanager/reconstruct.js";
import { volumeManagerPods } from "./volumemanager/desired.js";
import { Reconciler } from "./volumemanager/reconciler.js";

export type Runtime = RuntimeName;

export interface NodeAgentOptions {
  client: Client;
  nodeName: string;
  /** The kubelet's --root-dir: pods/, plugins/, plugins_registry/ live here. */
  rootDir: string;
  signal: AbortSignal;
  /** Endpoints (unix:///…/csi.sock) of CSI drivers on this node, registered at start. */
  csiDrivers?: string[];
  runtime?: Runtime;
  /** Runtime "process": the first restart back-off after a crash; default 10 s as the kubelet's. */
  restartBackoffMs?: number;
  /** Reconciler period; default 100 ms as the kubelet's. */
  reconcileIntervalMs?: number;
  /** How long a pod waits for its volumes before the "Unable to attach or mount volumes" event; default 2m3s. */
  mountTimeoutMs?: number;
  /** emptyDir sizeLimit checks (the kubelet's evictionMonitoringPeriod); default 10 s. */
  evictionIntervalMs?: number;
  /** Extra labels for the Node. */
  labels?: Record<string, string>;
  /** streaming: where the kubelet API (logs, exec) listens; default the node's InternalIP, any free port. */
  kubeletAddress?: string;
  log?: (message: string, err?: unknown) => void;
}

export interface NodeAgent {
  paths: NodePaths;
  csi: CsiRegistry;
  /** The container runtime: containerPid for exec, killPod for eviction. */
  runtime: ContainerRuntime;
  /** Registers one more CSI driver (what plugin registration does when a driver announces itself). */
  registerDriver(endpoint: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { client, nodeName, signal } = options;
  const log =
    options.log ?? ((message: string, err?: unknown) => console.error(`node ${nodeName}: ${message}`, err ?? ""));
  const abort = new AbortController();
  const stopSignal = AbortSignal.any([signal, abort.signal]);
  // Every informer, worker and loop of the agent listens on it: more than the default 10 is expected.
  setMaxListeners(100, stopSignal);
  const paths = new NodePaths(options.rootDir);
  await mkdir(paths.podsDir, { recursive: true });
  await mkdir(paths.pluginsRegistryDir, { recursive: true });

  if (options.runtime === "process" && process.getuid?.() !== 0) {
    // Mount namespaces, overlays and bind mounts: without root every container would fail to start.
    throw new Error('runtime "process" needs root (containers run in their own mount namespace over an overlay)');
  }
  const nodeStatus = new NodeStatusManager({
    client,
    nodeName,
    labels: options.labels,
    log,
    // Only volumesInUse set below adds to what is reported, so the reconciler exists by the time this is called.
    onVolumesReported: () => reconciler.trigger(),
  });
  /** Set once the volume manager exists: writes volumesInUse now that a volume joins it (volumesinuse.ts). */
  let reportVolumesInUse = () => {};
  // streaming (src/node/server): the kubelet API the apiserver proxies logs and exec to; its port → daemonEndpoints.
  const kubelet = await startKubeletServer({
    address: options.kubeletAddress ?? `${nodeStatus.hostIP}:0`,
    rootDir: options.rootDir,
    getPod: (namespace, name) => pods.get(`${namespace}/${name}`),
    runtime: () => runtime, // created below; asked per request
    log,
  });
  nodeStatus.setKubeletPort(kubelet.port);
  await nodeStatus.register();
  await nodeStatus.renewLease();

  const csi = new CsiRegistry(client, nodeName, log);
  for (const endpoint of options.csiDrivers ?? []) await csi.register(endpoint, stopSignal);

  const { informers, pods } = nodeInformers(client, nodeName, log);
  const recorder = createEventRecorder(client.events, {
    component: "kubelet",
    host: nodeName,
    log: (message, fields) => log(`events: ${message} ${JSON.stringify(fields)}`),
  });
  const parts = { options, paths, log, stopSignal, nodeStatus, csi, informers, pods, recorder };
  const { actual, reconciler, worker, processRuntime, housekeeping } = await startVolumeManager({
    ...parts,
    reportVolumesInUse: () => reportVolumesInUse(),
  });
  const runtime: ContainerRuntime = processRuntime ?? noneRuntime;
  const currentVolumesInUse = () => volumesInUse(reconciler.desiredPods(), actual);
  reportVolumesInUse = promptVolumesInUse(nodeStatus, currentVolumesInUse, stopSignal, log);
  informers.start(stopSignal);
  void pods.run(stopSignal);
  await Promise.all([informers.waitForSync(stopSignal), pods.waitForSync(stopSignal)]);

  const registerDriver = async (endpoint: string) => {
    await csi.register(endpoint, stopSignal);
    reconciler.trigger();
  };
  const running: Promise<unknown>[] = [];
  running.push(worker.run(stopSignal));
  running.push(reconciler.run(stopSignal, options.reconcileIntervalMs ?? 100));
  running.push(runEvictionManager(parts, processRuntime));
  // Drivers that announce themselves the kubelet way (node-driver-registrar, `stowage csi … --register`).
  const registration: PluginHandler = {
    register: (_info, endpoint) => registerDriver(endpoint),
    deregister: (name) => csi.deregister(name),
  };
  running.push(watchPluginsRegistry(paths.pluginsRegistryDir, registration, stopSignal, log));
  const ticker = everySecond(worker, nodeStatus, currentVolumesInUse, housekeeping, log);
  running.push(
    nodeStatus.run(stopSignal, () => nodeStatus.writeStatus(true).catch((err: unknown) => log("node status", err))),
  );

  let stopping: Promise<void> | undefined;
  return {
    paths,
    csi,
    runtime,
    registerDriver,
    stop: () =>
      (stopping ??= (async () => {
        abort.abort();
        clearInterval(ticker);
        worker.stop();
        // Containers stop with the agent (SIGTERM, SIGKILL after 2 s); their volumes stay for the next start.
        await processRuntime?.stop();
        await Promise.allSettled(running);
        await recorder.flush();
        csi.close();
        await kubelet.close();
      })()),
  };
}

/** The caches the agent reads: the pods bound here (spec.nodeName) and the objects their volumes come from. */
function nodeInformers(client: Client, nodeName: string, log: (message: string) => void) {
  const informerLog = (message: string, fields: Record<string, unknown>) =>
    log(`informer: ${message} ${JSON.stringify(fields)}`);
  const informers = createInformerFactory(client, { resyncPeriodMs: 60_000, log: informerLog });
  const pods = new Informer<Pod>(client.pods, {
    fieldSelector: `spec.nodeName=${nodeName}`,
    resyncPeriodMs: 60_000,
    log: informerLog,
  });
  return { informers, pods };
}

/** Runtime "process", with what a previous agent left running killed before anything starts; else undefined. */
async function startProcessRuntime(
  options: NodeAgentOptions,
  paths: NodePaths,
  log: (message: string, err?: unknown) => void,
  callbacks: Pick<ProcessRuntimeOptions, "onChange" | "event">,
): Promise<ProcessRuntime | undefined> {
  if (options.runtime !== "process") return undefined;
  const runtime = new ProcessRuntime({
    rootDir: paths.root,
    ...callbacks,
    log,
    initialBackoffMs: options.restartBackoffMs,
  });
  // No re-adoption (see process.ts): the previous agent's containers go, and the pod worker starts them again.
  const killed = await runtime.killOrphans();
  if (killed > 0) log(`killed ${killed} container processes a previous agent left running`);
  return runtime;
}

/**
 * Every second: pods still waiting get their mount timeout checked, volumesInUse follows the volume manager (a
 * volume joining it is written sooner, as the reconciler asks: volumesinuse.ts), and every other second orphaned
 * pod directories are cleaned up.
 */
function everySecond(
  worker: PodWorker,
  nodeStatus: NodeStatusManager,
  currentVolumesInUse: () => string[],
  housekeeping: Parameters<typeof cleanupOrphanedPodDirs>[0],
  log: (message: string, err?: unknown) => void,
): NodeJS.Timeout {
  let ticks = 0;
  return setInterval(() => {
    worker.requeueWaiting();
    nodeStatus.setVolumesInUse(currentVolumesInUse());
    nodeStatus.writeStatus().catch((err: unknown) => log("updating node status failed", err));
    if (++ticks % 2 === 0) {
      cleanupOrphanedPodDirs(housekeeping).catch((err: unknown) => log("pod dir cleanup failed", err));
    }
  }, 1000);
}

/** What the agent has built by the time the volume manager starts. */
interface AgentParts {
  options: NodeAgentOptions;
  paths: NodePaths;
  log: (message: string, err?: unknown) => void;
  stopSignal: AbortSignal;
  nodeStatus: NodeStatusManager;
  csi: CsiRegistry;
  informers: ReturnType<typeof nodeInformers>["informers"];
  pods: Informer<Pod>;
  recorder: EventRecorder;
  /** Writes volumesInUse now: a volume step waits for the Node to list a volume. */
  reportVolumesInUse(): void;
}

/**
 * The volume manager (desired state from the pods bound here, actual state reconstructed from disk, the reconciler
 * converging the two), the runtime and the pod worker. They call each other back; each callback runs only once all
 * three exist.
 */
async function startVolumeManager(parts: AgentParts) {
  const { options, paths, log, nodeStatus, csi, informers, pods, recorder, reportVolumesInUse } = parts;
  const { client, nodeName } = options;
  const claims = informers.persistentVolumeClaims;
  const volumes = informers.persistentVolumes;
  const ctx: PluginContext = {
    paths,
    nodeName,
    csi,
    csiDrivers: informers.csiDrivers,
    volumeAttachments: informers.volumeAttachments,
    configMaps: informers.configMaps,
    secrets: informers.secrets,
    reportedInUse: (name) => {
      if (nodeStatus.reportedInUse.has(name)) return true;
      // A volume step waits for the Node to list this volume: write volumesInUse now, not at the next tick
      // (onVolumesReported wakes the reconciler once the write has landed).
      reportVolumesInUse();
      return false;
    },
    volumesAttached: async () => (await client.nodes.get(nodeName)).status?.volumesAttached?.map((v) => v.name) ?? [],
    serviceAccountTokens: new TokenManager(client),
  };
  // Reconstruct before the first pass, so nothing already mounted is mounted again.
  const plugins = new VolumePluginRegistry();
  const actual = await reconstruct(paths, plugins);
  const processRuntime = await startProcessRuntime(options, paths, log, {
    onChange: (uid) => {
      worker.containersChanged(uid);
      reconciler.trigger(); // containers gone: their pod's volumes may be torn down now
    },
    event: (uid, type, reason, message) => {
      const pod = worker.podByUid(uid);
      if (pod) recorder.event(pod, type, reason, message);
    },
  });
  const housekeeping = { paths, actual, podKnown: (uid: string) => worker.knows(uid) };
  const reconciler: Reconciler = new Reconciler({
    ctx,
    plugins,
    actual,
    pods: processRuntime
      ? volumeManagerPods(
          pods,
          (uid) => processRuntime.podRunning(uid),
          () => worker.gone(),
        )
      : pods,
    listers: { claims, volumes },
    recorder,
    client,
    onChange: (podUid) => {
      if (!worker.resync(podUid)) {
        removeOrphanedPodDir(housekeeping, podUid).catch((err: unknown) => log(`removing pods/${podUid} failed`, err));
      }
    },
    log,
  });
  const worker: PodWorker = new PodWorker({
    client,
    nodeName,
    paths,
    pods,
    listers: { claims, volumes },
    configMaps: informers.configMaps,
    secrets: informers.secrets,
    actual,
    reconciler,
    runtime: processRuntime,
    recorder,
    hostIP: nodeStatus.hostIP,
    mountTimeoutMs: options.mountTimeoutMs,
    log,
  });
  // A claim bound, a PV, an attachment or a configMap changed: the next pass looks again.
  const wake = () => reconciler.trigger();
  for (const informer of [claims, volumes, informers.volumeAttachments, informers.configMaps, informers.secrets])
    informer.onChange(wake);
  informers.csiDrivers.onChange(wake);

  return { actual, reconciler, worker, processRuntime, housekeeping };
}

/** node-volumes' eviction manager (eviction.ts): pods whose emptyDir outgrows its sizeLimit are evicted. */
function runEvictionManager(
  { options, paths, log, stopSignal, pods, recorder }: Omit<AgentParts, "reportVolumesInUse">,
  processRuntime: ProcessRuntime | undefined,
): Promise<void> {
  const eviction = new EvictionManager({
    pods,
    paths,
    client: options.client,
    recorder,
    intervalMs: options.evictionIntervalMs,
    // The kubelet evicts for local storage with a grace period of 0 (eviction_manager.go localStorageEviction).
    killPod: processRuntime ? (pod) => processRuntime.killPod(pod.metadata.uid ?? "", 0) : undefined,
    log,
  });
  return eviction.run(stopSignal);
}
