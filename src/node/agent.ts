// The node agent (the kubelet's storage half): registers this Node and heartbeats its Lease, knows the CSI drivers
// on this node, and runs the volume manager — desired state from the pods bound here, actual state from what is
// mounted (reconstructed from disk at start), a reconciler converging the two — plus the pod worker that reports
// pod status (runtime "none": Running once every volume is set up; runtime "process": the pod's containers run as
// processes with its volumes bound in, runtime/process.ts) and confirms deletions once containers and volumes are
// gone. It reads only what a node may read (the Node authorizer): its pods, CSIDrivers, its Node, what its pods need.
import { setMaxListeners } from "node:events";
import { mkdir } from "node:fs/promises";
import type { Pod } from "../api/core/types.js";
import type { CSIDriver } from "../api/storage/types.js";
import { createEventRecorder, type Client, type EventRecorder, type Informer, type Lister } from "../client/index.js";
import { CsiRegistry } from "./csidrivers.js";
import { EvictionManager } from "./eviction.js";
import { defaultFenceAfterMs, Fencing } from "./fencing.js";
import { removeOrphanedPodDir } from "./housekeeping.js";
import { everySecond } from "./tick.js";
import { NodeStatusManager } from "./nodestatus.js";
import { attachedInNodeStatus, createNodeObjects, type NodeObjects } from "./objectcache/nodeobjects.js";
import { nodeInformers, startCaches } from "./nodeinformers.js";
import { NodePaths } from "./paths.js";
import type { PluginContext } from "./plugins/context.js";
import { VolumePluginRegistry } from "./plugins/registry.js";
import { watchPluginsRegistry, type PluginHandler } from "./pluginregistration/watcher.js";
import { PodWorker } from "./podworker.js";
import { ProcessRuntime, type ProcessRuntimeOptions } from "./runtime/process.js";
import { noneRuntime, type ContainerRuntime, type RuntimeName } from "./runtime/runtime.js";
import { requireKubeletTls, type KubeletServingTls } from "./server/auth.js";
import { kubeletListenAddress } from "./server/address.js";
import { mayGetNodeMetrics, startKubeletServer } from "./server/server.js";
import { TokenManager } from "./tokenmanager.js";
import { volumesInUse, promptVolumesInUse } from "./volumesinuse.js";
import { reconstruct } from "./volumemanager/reconstruct.js";
import { volumeManagerPods, type DesiredListers } from "./volumemanager/desired.js";
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
  /** Runtime "process": first restart back-off (default 10 s, the kubelet's); --container-log-max-size/-files. */
  restartBackoffMs?: number;
  containerLogRotation?: ProcessRuntimeOptions["containerLogRotation"];
  /** Reconciler period; default 100 ms as the kubelet's. */
  reconcileIntervalMs?: number;
  /** How long a pod waits for its volumes before the "Unable to attach or mount volumes" event; default 2m3s. */
  mountTimeoutMs?: number;
  /** emptyDir sizeLimit checks (the kubelet's evictionMonitoringPeriod); default 10 s. */
  evictionIntervalMs?: number;
  /**
   * --fence-after: a Lease not renewed for this long fences the node (fencing.ts): containers using ReadWriteOnce
   * volumes stopped, the volumes released. Default 10 s; 0 turns fencing off. The Lease is renewed 4 times as often.
   */
  fenceAfterMs?: number;
  /** Extra labels for the Node. */
  labels?: Record<string, string>;
  /** --kubelet-address "host[:port]" for the kubelet API (server/address.ts); default the InternalIP, any port. */
  kubeletAddress?: string;
  /** The kubelet API's serving certificate, key and client CA (--tls-cert-file, …). Without them it cannot start. */
  kubeletTls?: KubeletServingTls;
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

/** Checked before anything is registered: a node whose kubelet API or runtime cannot start must get no pods. */
function checkStartable(options: NodeAgentOptions) {
  const kubeletTls = requireKubeletTls(options.kubeletTls);
  const kubeletAddress = kubeletListenAddress(options.kubeletAddress);
  if (options.runtime === "process" && process.getuid?.() !== 0) {
    // Mount namespaces, overlays and bind mounts: without root every container would fail to start.
    throw new Error('runtime "process" needs root (containers run in their own mount namespace over an overlay)');
  }
  return { kubeletTls, kubeletAddress };
}

export async function startNodeAgent(options: NodeAgentOptions): Promise<NodeAgent> {
  const { client, nodeName, signal } = options;
  const { kubeletTls, kubeletAddress } = checkStartable(options);
  const log =
    options.log ?? ((message: string, err?: unknown) => console.error(`node ${nodeName}: ${message}`, err ?? ""));
  const abort = new AbortController();
  const stopSignal = AbortSignal.any([signal, abort.signal]);
  // Every informer, worker and loop of the agent listens on it: more than the default 10 is expected.
  setMaxListeners(100, stopSignal);
  const paths = new NodePaths(options.rootDir);
  await Promise.all([paths.podsDir, paths.pluginsRegistryDir].map((dir) => mkdir(dir, { recursive: true })));

  const nodeStatus = new NodeStatusManager({
    client,
    nodeName,
    labels: options.labels,
    internalIP: kubeletAddress.nodeIP,
    leaseRenewIntervalMs: Math.min(10_000, (options.fenceAfterMs ?? defaultFenceAfterMs) / 4 || 10_000),
    log,
    // Only volumesInUse set below adds to what is reported, so the reconciler exists by the time this is called.
    onVolumesReported: () => reconciler.trigger(),
  });
  /** Set once the volume manager exists: writes volumesInUse now that a volume joins it (volumesinuse.ts). */
  let reportVolumesInUse = () => {};
  const kubelet = await startKubeletServer({
    address: kubeletAddress.address ?? `${nodeStatus.hostIP}:0`,
    tls: kubeletTls,
    rootDir: options.rootDir,
    getPod: (namespace, name) => pods.get(`${namespace}/${name}`),
    runtime: () => runtime, // created below; asked per request
    log,
    lastSyncLoop: () => nodeStatus.lastAsked, // the once-a-second tick asks for a status write: /healthz syncloop
    authorizeMetrics: (user) => mayGetNodeMetrics(client, nodeName, user),
  });
  nodeStatus.setKubeletPort(kubelet.port);
  await nodeStatus.register();
  await nodeStatus.renewLease();

  const csi = new CsiRegistry(client, nodeName, log);
  for (const endpoint of options.csiDrivers ?? []) await csi.register(endpoint, stopSignal);

  const { csiDrivers, pods } = nodeInformers(client, nodeName, log);
  const objects = createNodeObjects(client, nodeName, log);
  const recorder = createEventRecorder(client.events, {
    component: "kubelet",
    host: nodeName,
    log: (message, fields) => log(`events: ${message} ${JSON.stringify(fields)}`),
  });
  const parts = { options, paths, log, stopSignal, nodeStatus, csi, csiDrivers, objects, pods, recorder };
  const { actual, reconciler, worker, processRuntime, housekeeping, fencing } = await startVolumeManager({
    ...parts,
    reportVolumesInUse: () => reportVolumesInUse(),
  });
  const runtime: ContainerRuntime = processRuntime ?? noneRuntime;
  const currentVolumesInUse = () => volumesInUse(reconciler.desiredPods(), actual);
  reportVolumesInUse = promptVolumesInUse(nodeStatus, currentVolumesInUse, stopSignal, log);
  await startCaches(parts);

  const registerDriver = async (endpoint: string) => {
    await csi.register(endpoint, stopSignal);
    reconciler.trigger();
  };
  const running: Promise<unknown>[] = [];
  running.push(worker.run(stopSignal), reconciler.run(stopSignal, options.reconcileIntervalMs ?? 100));
  running.push(runEvictionManager(parts, processRuntime));
  if (fencing) running.push(fencing.run(stopSignal));
  // Drivers that announce themselves the kubelet way (node-driver-registrar, `stowage csi … --register`).
  const registration: PluginHandler = {
    register: (_info, endpoint) => registerDriver(endpoint),
    deregister: (name) => csi.deregister(name),
  };
  running.push(watchPluginsRegistry(paths.pluginsRegistryDir, registration, stopSignal, log));
  const ticker = everySecond(worker, nodeStatus, currentVolumesInUse, housekeeping, log, () =>
    // Pods gone without a delete event reaching us (a relist) stop needing their configMaps and secrets watched.
    objects.retainPods(new Set([...pods.list(), ...worker.gone()].map((pod) => pod.metadata.uid ?? ""))),
  );
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

/** Runtime "process" (what a previous agent left running killed first: process.ts), else undefined. */
async function startProcessRuntime(
  options: NodeAgentOptions,
  paths: NodePaths,
  log: (message: string, err?: unknown) => void,
  callbacks: Pick<ProcessRuntimeOptions, "onChange" | "event">,
): Promise<ProcessRuntime | undefined> {
  if (options.runtime !== "process") return undefined;
  const { restartBackoffMs: initialBackoffMs, containerLogRotation } = options;
  return ProcessRuntime.start({ ...callbacks, rootDir: paths.root, log, initialBackoffMs, containerLogRotation });
}

/** What the agent has built by the time the volume manager starts. */
interface AgentParts {
  options: NodeAgentOptions;
  paths: NodePaths;
  log: (message: string, err?: unknown) => void;
  stopSignal: AbortSignal;
  nodeStatus: NodeStatusManager;
  csi: CsiRegistry;
  csiDrivers: Informer<CSIDriver>;
  objects: NodeObjects;
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
function pluginContext(parts: AgentParts): PluginContext {
  const { options, paths, nodeStatus, csi, csiDrivers, objects, reportVolumesInUse } = parts;
  const { client, nodeName } = options;
  return {
    paths,
    nodeName,
    csi,
    csiDrivers,
    volumeAttachments: objects.volumeAttachments,
    configMaps: objects.configMaps,
    secrets: objects.secrets,
    reportedInUse: (name) => {
      if (nodeStatus.reportedInUse.has(name)) return true;
      // A volume step waits for the Node to list this volume: write volumesInUse now, not at the next tick
      // (onVolumesReported wakes the reconciler once the write has landed).
      reportVolumesInUse();
      return false;
    },
    attachedInNodeStatus: (name) => attachedInNodeStatus(objects.node.get(nodeName), name),
    volumesAttached: async () => (await client.nodes.get(nodeName)).status?.volumesAttached?.map((v) => v.name) ?? [],
    serviceAccountTokens: new TokenManager(client),
  };
}

/**
 * A pod bound here registers the configMaps and secrets it names (watched while it needs them); one deleted from
 * the API unregisters, unless its containers still run (force-deleted: its volumes stay until they exit, and the
 * tick's retainPods lets go once the pod worker has forgotten it).
 */
function trackPodObjects(pods: Informer<Pod>, objects: NodeObjects, runtime: ProcessRuntime | undefined): void {
  pods.onAdd((pod) => objects.registerPod(pod));
  pods.onUpdate((_old, pod) => objects.registerPod(pod));
  pods.onDelete((pod) => {
    const uid = pod.metadata.uid ?? "";
    if (!runtime?.podRunning(uid)) objects.unregisterPod(uid);
  });
}

async function startVolumeManager(parts: AgentParts) {
  const { options, paths, log, nodeStatus, csiDrivers, objects, pods, recorder } = parts;
  const { client, nodeName } = options;
  const ctx = pluginContext(parts);
  const listers: DesiredListers = {
    claims: objects.claims,
    volumes: objects.volumes,
    claimWritten: (claim) => objects.claims.observe(claim),
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
  trackPodObjects(pods, objects, processRuntime);
  const fenceAfterMs = options.fenceAfterMs ?? defaultFenceAfterMs;
  const fencing: Fencing | undefined =
    fenceAfterMs > 0
      ? new Fencing({
          ...{
            client,
            nodeName,
            rootDir: paths.root,
            fenceAfterMs,
            pods,
            actual,
            runtime: processRuntime,
            recorder,
            log,
          },
          node: () => objects.node.get(nodeName),
          desiredOf: (pod) => reconciler.desiredOf(pod),
          lastRenewed: () => nodeStatus.lastRenewed,
          resync: (uid) => void (worker.resync(uid), reconciler.trigger()),
        })
      : undefined;
  await fencing?.load();
  const fenced = (view: Lister<Pod>) =>
    fencing ? fencing.view(view, (uid) => processRuntime?.podRunning(uid) ?? false) : view;
  const housekeeping = { paths, actual, podKnown: (uid: string) => worker.knows(uid) };
  const reconciler: Reconciler = new Reconciler({
    ctx,
    plugins,
    actual,
    pods: fenced(
      processRuntime
        ? volumeManagerPods(
            pods,
            (uid) => processRuntime.podRunning(uid),
            () => worker.gone(),
          )
        : pods,
    ),
    listers,
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
    listers,
    configMaps: objects.configMaps,
    secrets: objects.secrets,
    actual,
    reconciler,
    runtime: processRuntime,
    recorder,
    hostIP: nodeStatus.hostIP,
    mountTimeoutMs: options.mountTimeoutMs,
    fenced: fencing && ((pod) => fencing.covers(pod)),
    log,
  });
  // A claim bound, a PV, an attachment, a configMap or the Node's volumesAttached changed: the next pass looks again.
  const wake = () => reconciler.trigger();
  objects.onChange(wake);
  csiDrivers.onChange(wake);

  return { actual, reconciler, worker, processRuntime, housekeeping, fencing };
}

/** node-volumes' eviction manager (eviction.ts): pods whose emptyDir outgrows its sizeLimit are evicted. */
function runEvictionManager(
  { options, paths, log, stopSignal, pods, recorder }: Omit<AgentParts, "reportVolumesInUse">,
  processRuntime: ProcessRuntime | undefined,
): Promise<void> {
  const eviction = new EvictionManager({
    nodeName: options.nodeName,
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
