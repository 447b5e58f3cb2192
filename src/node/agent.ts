// The node agent (the kubelet's storage half): registers this Node and heartbeats its Lease, knows the CSI drivers
// on this node, and runs the volume manager — desired state from the pods bound here, actual state from what is
// mounted (reconstructed from disk at start), a reconciler converging the two — plus the pod worker that reports
// pod status (runtime "none": Running once every volume is set up; runtime "process": the pod's containers run as
// processes with its volumes bound in, src/node/runtime/process.ts) and confirms deletions once containers and
// volumes are gone.
import { setMaxListeners } from "node:events";
import { mkdir } from "node:fs/promises";
import type { Pod } from "../api/core/types.js";
import { createEventRecorder, createInformerFactory, Informer, type Client } from "../client/index.js";
import { CsiRegistry } from "./csidrivers.js";
import { EvictionManager } from "./eviction.js";
import { cleanupOrphanedPodDirs, removeOrphanedPodDir } from "./housekeeping.js";
import { NodeStatusManager } from "./nodestatus.js";
import { NodePaths } from "./paths.js";
import type { PluginContext } from "./plugins/context.js";
import { VolumePluginRegistry } from "./plugins/registry.js";
import { watchPluginsRegistry } from "./pluginregistration/watcher.js";
import { PodWorker } from "./podworker.js";
import { ProcessRuntime } from "./runtime/process.js";
import { noneRuntime, type ContainerRuntime, type RuntimeName } from "./runtime/runtime.js";
import { startKubeletServer } from "./server/server.js";
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

  const informerLog = (message: string, fields: Record<string, unknown>) =>
    log(`informer: ${message} ${JSON.stringify(fields)}`);
  const informers = createInformerFactory(client, { resyncPeriodMs: 60_000, log: informerLog });
  const pods = new Informer<Pod>(client.pods, {
    fieldSelector: `spec.nodeName=${nodeName}`,
    resyncPeriodMs: 60_000,
    log: informerLog,
  });
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
  };
  const recorder = createEventRecorder(client.events, {
    component: "kubelet",
    host: nodeName,
    log: (message, fields) => log(`events: ${message} ${JSON.stringify(fields)}`),
  });

  // Reconstruct before the first pass, so nothing already mounted is mounted again.
  const plugins = new VolumePluginRegistry();
  const actual = await reconstruct(paths, plugins);
  // The runtime, the reconciler and the pod worker call each other back; each callback runs only once all three exist.
  const processRuntime =
    options.runtime === "process"
      ? new ProcessRuntime({
          rootDir: paths.root,
          onChange: (uid) => {
            worker.containersChanged(uid);
            reconciler.trigger(); // containers gone: their pod's volumes may be torn down now
          },
          event: (uid, type, reason, message) => {
            const pod = worker.podByUid(uid);
            if (pod) recorder.event(pod, type, reason, message);
          },
          log,
          initialBackoffMs: options.restartBackoffMs,
        })
      : undefined;
  const runtime: ContainerRuntime = processRuntime ?? noneRuntime;
  if (processRuntime) {
    // Containers a previous agent left running go before anything starts (see process.ts: no re-adoption).
    const killed = await processRuntime.killOrphans();
    if (killed > 0) log(`killed ${killed} container processes a previous agent left running`);
  }
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
  const currentVolumesInUse = () => volumesInUse(reconciler.desiredPods(), actual);
  reportVolumesInUse = promptVolumesInUse(nodeStatus, currentVolumesInUse, stopSignal, log);
  // A claim bound, a PV, an attachment or a configMap changed: the next pass looks again.
  const wake = () => reconciler.trigger();
  claims.onChange(wake);
  volumes.onChange(wake);
  informers.volumeAttachments.onChange(wake);
  informers.configMaps.onChange(wake);
  informers.secrets.onChange(wake);
  informers.csiDrivers.onChange(wake);

  informers.start(stopSignal);
  void pods.run(stopSignal);
  await Promise.all([informers.waitForSync(stopSignal), pods.waitForSync(stopSignal)]);

  const running: Promise<unknown>[] = [];
  running.push(worker.run(stopSignal));
  running.push(reconciler.run(stopSignal, options.reconcileIntervalMs ?? 100));
  // node-volumes' eviction manager (src/node/eviction.ts): pods whose emptyDir outgrows its sizeLimit are evicted.
  const eviction = new EvictionManager({
    pods,
    paths,
    client,
    recorder,
    intervalMs: options.evictionIntervalMs,
    // The kubelet evicts for local storage with a grace period of 0 (eviction_manager.go localStorageEviction).
    killPod: processRuntime ? (pod) => processRuntime.killPod(pod.metadata.uid ?? "", 0) : undefined,
    log,
  });
  running.push(eviction.run(stopSignal));
  // Drivers that announce themselves the kubelet way (node-driver-registrar, `stowage csi … --register`).
  running.push(
    watchPluginsRegistry(
      paths.pluginsRegistryDir,
      {
        register: async (_info, endpoint) => {
          await csi.register(endpoint, stopSignal);
          reconciler.trigger();
        },
        deregister: (name) => csi.deregister(name),
      },
      stopSignal,
      log,
    ),
  );
  let ticks = 0;
  // Every second: pods still waiting get their timeout checked, and volumesInUse follows the volume manager.
  // (A volume joining volumesInUse is written sooner, as the reconciler asks for it: see volumesinuse.ts.)
  const ticker = setInterval(() => {
    worker.requeueWaiting();
    nodeStatus.setVolumesInUse(currentVolumesInUse());
    nodeStatus.writeStatus().catch((err: unknown) => log("updating node status failed", err));
    if (++ticks % 2 === 0) {
      cleanupOrphanedPodDirs(housekeeping).catch((err: unknown) => log("pod dir cleanup failed", err));
    }
  }, 1000);
  running.push(
    nodeStatus.run(stopSignal, () => nodeStatus.writeStatus(true).catch((err: unknown) => log("node status", err))),
  );

  let stopping: Promise<void> | undefined;
  return {
    paths,
    csi,
    runtime,
    registerDriver: async (endpoint) => {
      await csi.register(endpoint, stopSignal);
      reconciler.trigger();
    },
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
