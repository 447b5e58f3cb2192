// The node agent (the kubelet's storage half): registers this Node and heartbeats its Lease, knows the CSI drivers
// on this node, and runs the volume manager — desired state from the pods bound here, actual state from what is
// mounted (reconstructed from disk at start), a reconciler converging the two — plus the pod worker that reports
// pod status (runtime "none": Running once every volume is set up; runtime "process": the pod's containers run as
// processes with its volumes bound in, src/node/runtime/process.ts) and confirms deletions once containers and
// volumes are gone.
import { setMaxListeners } from "node:events";
import { mkdir, readdir, rm } from "node:fs/promises";
import type { Pod, VolumeMount } from "../api/core/types.js";
import { EventFailedMountVolume } from "../api/wellknown.js";
import {
  createEventRecorder,
  createInformerFactory,
  Informer,
  isConflict,
  isNotFound,
  keyOf,
  WorkQueue,
  type Client,
} from "../client/index.js";
import { hasMountsUnder } from "../csi/drivers/mount.js";
import { CsiRegistry } from "./csidrivers.js";
import { EvictionManager } from "./eviction.js";
import { NodeStatusManager } from "./nodestatus.js";
import { startKubeletServer } from "./server/server.js";
import { watchPluginsRegistry } from "./pluginregistration/watcher.js";
import { NodePaths, csiUniqueVolumeName } from "./paths.js";
import type { PluginContext } from "./plugins/context.js";
import { deviceOf } from "./plugins/csi.js";
import { generatePodStatus, generateProcessPodStatus, statusChanged } from "./podstatus.js";
import { reconstruct } from "./volumemanager/actual.js";
import {
  desiredPod,
  podNeedsVolumes,
  volumeKey,
  volumeManagerPods,
  type DesiredVolume,
} from "./volumemanager/desired.js";
import { ProcessRuntime } from "./runtime/process.js";
import type { ContainerMount } from "./runtime/process-setup.js";
import { noneRuntime, type ContainerRuntime, type RuntimeName } from "./runtime/runtime.js";
import { prepareSubPath, SubPathError, subPathOf } from "./subpath.js";
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

// pkg/kubelet/events FailedToCreateContainer and kuberuntime's ErrCreateContainerConfig.
const eventFailedToCreateContainer = "Failed";
const createContainerConfigError = "CreateContainerConfigError";

const minimumGracePeriodSeconds = 2;

// pkg/kubelet/active_deadline.go
const reasonDeadlineExceeded = "DeadlineExceeded";
const messageDeadlineExceeded = "Pod was active on the node longer than the specified deadline";

/** When the pod's activeDeadlineSeconds runs out (ms since the epoch), counted from status.startTime. */
const deadlineOf = (pod: Pod): number | undefined => {
  const seconds = pod.spec.activeDeadlineSeconds;
  const start = pod.status?.startTime;
  return seconds === undefined || !start ? undefined : Date.parse(start) + seconds * 1000;
};
const deadlineExceeded = (pod: Pod): boolean => {
  const deadline = deadlineOf(pod);
  return deadline !== undefined && Date.now() >= deadline;
};

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

/**
 * The grace period a pod's containers get: the delete's (deletionGracePeriodSeconds), else the spec's, else 30 s —
 * but at least 2 s (kuberuntime_container.go minimumGracePeriodInSeconds: even a force delete's 0 gets SIGTERM
 * first). Only an eviction's explicit override (0) kills at once.
 */
const gracePeriodOf = (pod: Pod): number =>
  Math.max(
    minimumGracePeriodSeconds,
    pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30,
  );

const containerMount = (hostPath: string, mount: VolumeMount): ContainerMount => ({
  hostPath,
  containerPath: mount.mountPath,
  readOnly: Boolean(mount.readOnly),
});

// volume_manager.go podAttachAndMountTimeout.
const defaultMountTimeoutMs = 2 * 60_000 + 3_000;

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
  const nodeStatus = new NodeStatusManager({ client, nodeName, labels: options.labels, log });
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
    reportedInUse: (name) => nodeStatus.reportedInUse.has(name),
  };
  const recorder = createEventRecorder(client.events, {
    component: "kubelet",
    host: nodeName,
    log: (message, fields) => log(`events: ${message} ${JSON.stringify(fields)}`),
  });

  // Reconstruct before the first pass, so nothing already mounted is mounted again.
  const actual = await reconstruct(paths);
  const queue = new WorkQueue<string>({ name: `node-${nodeName}-pods` });
  const keyByUid = new Map<string, string>();
  /** Pods gone from the API (force-deleted) whose containers are still being killed. */
  const gonePods = new Map<string, Pod>();
  const podByUid = (uid: string) => gonePods.get(uid) ?? pods.get(keyByUid.get(uid) ?? "");
  const processRuntime =
    options.runtime === "process"
      ? new ProcessRuntime({
          rootDir: paths.root,
          onChange: (uid) => {
            const key = keyByUid.get(uid);
            if (key) queue.add(key);
            else if (gonePods.has(uid)) void forgetGonePod(uid);
            reconciler.trigger(); // containers gone: their pod's volumes may be torn down now
          },
          event: (uid, type, reason, message) => {
            const pod = podByUid(uid);
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
  const reconciler = new Reconciler({
    ctx,
    actual,
    pods: processRuntime
      ? volumeManagerPods(
          pods,
          (uid) => processRuntime.podRunning(uid),
          () => [...gonePods.values()],
        )
      : pods,
    listers: { claims, volumes },
    recorder,
    client,
    onChange: (podUid) => {
      const key = keyByUid.get(podUid);
      if (key) queue.add(key);
      else void removeOrphanedPodDir(podUid).catch((err: unknown) => log(`removing pods/${podUid} failed`, err));
    },
    log,
  });
  /** activeDeadlineSeconds: the pod is synced again when its deadline passes (runtime process). */
  const deadlineTimers = new Map<string, NodeJS.Timeout>();
  const track = (pod: Pod) => {
    if (pod.metadata.uid) keyByUid.set(pod.metadata.uid, keyOf(pod));
    const uid = pod.metadata.uid ?? "";
    const deadline = deadlineOf(pod);
    if (processRuntime && deadline !== undefined && !deadlineTimers.has(uid)) {
      const key = keyOf(pod);
      const timer = setTimeout(() => queue.add(key), Math.max(0, deadline - Date.now()) + 50);
      timer.unref();
      deadlineTimers.set(uid, timer);
    }
    queue.add(keyOf(pod));
    reconciler.trigger();
  };
  pods.onAdd(track);
  pods.onUpdate((_old, pod) => track(pod));
  pods.onDelete((pod) => {
    const uid = pod.metadata.uid ?? "";
    clearTimeout(deadlineTimers.get(uid));
    deadlineTimers.delete(uid);
    keyByUid.delete(uid);
    if (processRuntime?.podRunning(uid)) {
      // Gone without the agent's confirmation (force delete): its containers are stopped now, with the minimum grace.
      // (Upstream's DELETE event carries deletionGracePeriodSeconds 0, which the minimum raises to 2 s.)
      gonePods.set(uid, pod);
      void processRuntime.killPod(
        uid,
        Math.max(minimumGracePeriodSeconds, pod.metadata.deletionGracePeriodSeconds ?? 0),
      );
    } else if (processRuntime) void forgetGonePod(uid, pod);
    reconciler.trigger();
  });

  /** A pod gone from the API whose containers have all exited: forget it and its logs. */
  async function forgetGonePod(uid: string, known?: Pod): Promise<void> {
    const pod = known ?? gonePods.get(uid);
    if (!pod || !processRuntime || processRuntime.podRunning(uid)) return;
    gonePods.delete(uid);
    await processRuntime.removePod({
      namespace: pod.metadata.namespace ?? "default",
      name: pod.metadata.name ?? "",
      uid,
    });
  }
  // A claim bound, a PV, an attachment or a configMap changed: the next pass looks again.
  const wake = () => reconciler.trigger();
  claims.onChange(wake);
  volumes.onChange(wake);
  informers.volumeAttachments.onChange(wake);
  informers.configMaps.onChange(wake);
  informers.secrets.onChange(wake);
  informers.csiDrivers.onChange(wake);

  const waitingSince = new Map<string, number>();
  const mountTimeoutMs = options.mountTimeoutMs ?? defaultMountTimeoutMs;

  async function syncPod(key: string): Promise<void> {
    const pod = pods.get(key);
    if (!pod) return;
    const uid = pod.metadata.uid ?? "";
    if (pod.metadata.deletionTimestamp) {
      if (processRuntime?.podRunning(uid)) {
        // Graceful termination: SIGTERM, SIGKILL after the grace period the delete asked for. The runtime's
        // onChange brings the pod back here once every container has exited.
        void processRuntime.killPod(uid, gracePeriodOf(pod));
        return;
      }
      // The kubelet's final delete (status_manager canBeDeleted): only once no volume of the pod is set up.
      if (actual.volumesOfPod(uid).length > 0) return;
      const podDir = paths.podDir(uid);
      if (!(await hasMountsUnder(podDir))) await rm(podDir, { recursive: true, force: true });
      try {
        await client.pods.delete(pod.metadata.namespace ?? "default", pod.metadata.name ?? "", {
          gracePeriodSeconds: 0,
          preconditions: { uid },
        });
      } catch (err) {
        if (!isNotFound(err) && !isConflict(err)) throw err;
      }
      waitingSince.delete(uid);
      await processRuntime?.removePod({
        namespace: pod.metadata.namespace ?? "default",
        name: pod.metadata.name ?? "",
        uid,
      });
      return;
    }
    processRuntime?.observe(pod);
    if (processRuntime && podNeedsVolumes(pod) && deadlineExceeded(pod)) {
      // active_deadline.go: the pod fails, its containers are stopped; the terminal branch below follows them.
      recorder.event(pod, "Warning", reasonDeadlineExceeded, messageDeadlineExceeded);
      void processRuntime.killPod(uid, gracePeriodOf(pod));
      const status = generateProcessPodStatus(pod, {
        volumesReady: true,
        hostIP: nodeStatus.hostIP,
        now: now(),
        containers: processRuntime.statuses(uid),
      });
      await client.pods.updateStatus({
        ...pod,
        status: { ...status, phase: "Failed", reason: reasonDeadlineExceeded, message: messageDeadlineExceeded },
      });
      return;
    }
    if (!podNeedsVolumes(pod)) {
      // Finished or evicted: nothing starts again; an evicted pod's containers are stopped (the eviction hook
      // calls killPod too) and its status follows them to terminated, keeping its phase.
      if (!processRuntime) return;
      if (processRuntime.podRunning(uid)) void processRuntime.killPod(uid, gracePeriodOf(pod));
      const status = generateProcessPodStatus(pod, {
        volumesReady: true,
        hostIP: nodeStatus.hostIP,
        now: now(),
        containers: processRuntime.statuses(uid),
      });
      if (statusChanged(pod.status, status)) await client.pods.updateStatus({ ...pod, status });
      return;
    }
    const desired = desiredPod(pod, { claims, volumes });
    const unmounted = [
      ...desired.errors.map((e) => e.outerName),
      ...desired.volumes
        .filter((v) => {
          const mounted = actual.volumes.get(volumeKey(v));
          return !mounted || mounted.uncertain;
        })
        .map((v) => v.outerName),
    ];
    const volumesReady = unmounted.length === 0;
    if (volumesReady) waitingSince.delete(uid);
    else {
      const since = waitingSince.get(uid) ?? Date.now();
      waitingSince.set(uid, since);
      if (Date.now() - since >= mountTimeoutMs) {
        // volume_manager.go WaitForAttachAndMount's error as kubelet.go records it, then a new wait begins.
        const unattached = desired.volumes
          .filter((v) => reconciler.unattached.has(volumeKey(v)))
          .map((v) => v.outerName)
          .sort();
        recorder.event(
          pod,
          "Warning",
          EventFailedMountVolume,
          `Unable to attach or mount volumes: unmounted volumes=[${[...new Set(unmounted)].sort().join(" ")}], ` +
            `unattached volumes=[${unattached.join(" ")}]: timed out waiting for the condition`,
        );
        waitingSince.set(uid, Date.now());
      }
    }
    const { errors: containerErrors, mounts } = volumesReady
      ? await prepareMounts(pod, desired.volumes)
      : { errors: {}, mounts: new Map<string, ContainerMount[]>() };
    let status;
    if (processRuntime) {
      if (volumesReady) {
        // Containers whose mounts could not be prepared wait (CreateContainerConfigError); the others start.
        processRuntime.syncPod(
          pod,
          mounts,
          { configMaps: informers.configMaps, secrets: informers.secrets, hostIP: nodeStatus.hostIP },
          new Set(Object.keys(containerErrors)),
        );
      }
      status = generateProcessPodStatus(pod, {
        volumesReady,
        containerErrors,
        hostIP: nodeStatus.hostIP,
        now: now(),
        containers: processRuntime.statuses(uid),
      });
    } else {
      status = generatePodStatus(pod, { volumesReady, containerErrors, hostIP: nodeStatus.hostIP, now: now() });
    }
    if (!statusChanged(pod.status, status)) return;
    await client.pods.updateStatus({ ...pod, status });
  }

  /**
   * What the runtime does before starting containers (kubelet_pods.go makeMounts): each volumeMount becomes a host
   * path — the volume's, or its subPath resolved (and created) inside it — and a subPath escaping the volume
   * through a symlink stops that container with CreateContainerConfigError.
   */
  async function prepareMounts(pod: Pod, desired: DesiredVolume[]) {
    const errors: Record<string, { reason: string; message: string }> = {};
    const mounts = new Map<string, ContainerMount[]>();
    for (const container of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
      const list: ContainerMount[] = [];
      mounts.set(container.name, list);
      // volumeDevices: a block volume's published device, bound at its devicePath (in the container's own /dev).
      for (const device of container.volumeDevices ?? []) {
        const volume = desired.find((v) => v.outerName === device.name);
        const mounted = volume && actual.volumes.get(volumeKey(volume));
        if (mounted?.csi?.volumeMode === "Block") {
          list.push({ hostPath: mounted.csi.targetPath, containerPath: device.devicePath, readOnly: false });
        }
      }
      for (const mount of container.volumeMounts ?? []) {
        const volume = desired.find((v) => v.outerName === mount.name);
        const mounted = volume && actual.volumes.get(volumeKey(volume));
        if (!mounted) continue;
        const volumePath = mounted.csi?.targetPath ?? mounted.dir;
        const subPath = subPathOf(mount, container);
        if (subPath === undefined) {
          list.push(containerMount(volumePath, mount));
          continue;
        }
        try {
          list.push(containerMount(await prepareSubPath(volumePath, subPath), mount));
        } catch (err) {
          if (!(err instanceof SubPathError)) throw err;
          // kubelet_pods.go makeMounts' error, as kuberuntime reports it on the container and in a "Failed" event.
          const message = `failed to prepare subPath for volumeMount "${mount.name}" of container "${container.name}"`;
          log(`${message}: ${err.message}`);
          const before = pod.status?.containerStatuses?.find((c) => c.name === container.name)?.state?.waiting;
          if (before?.reason !== createContainerConfigError) {
            recorder.event(pod, "Warning", eventFailedToCreateContainer, `Error: ${message}`);
          }
          errors[container.name] ??= { reason: createContainerConfigError, message };
        }
      }
    }
    return { errors, mounts };
  }

  /**
   * A pod removed from the API without the agent (force-deleted while it was down): once its reconstructed volumes
   * are torn down, its directory goes too (the kubelet's cleanupOrphanedPodDirs), never while anything is mounted.
   */
  async function removeOrphanedPodDir(podUid: string): Promise<void> {
    if (actual.volumesOfPod(podUid).length > 0 || keyByUid.has(podUid)) return;
    const podDir = paths.podDir(podUid);
    if (!(await hasMountsUnder(podDir))) await rm(podDir, { recursive: true, force: true });
  }

  /** volumesInUse: every CSI volume a pod here needs or that is still published or staged here. */
  function volumesInUse(): string[] {
    const names = new Set<string>();
    for (const { volumes: vs } of reconciler.desiredPods())
      for (const v of vs) if (v.kind === "csi") names.add(deviceOf(v));
    for (const v of actual.volumes.values())
      if (v.csi) names.add(csiUniqueVolumeName(v.csi.driverName, v.csi.volumeHandle));
    for (const d of actual.devices.keys()) names.add(d);
    return [...names];
  }

  informers.start(stopSignal);
  void pods.run(stopSignal);
  await Promise.all([informers.waitForSync(stopSignal), pods.waitForSync(stopSignal)]);

  const running: Promise<unknown>[] = [];
  running.push(
    queue.work(
      stopSignal,
      async (key) => {
        try {
          await syncPod(key);
          queue.forget(key);
        } catch (err) {
          if (!isConflict(err)) log(`syncing pod ${key} failed; will retry`, err);
          queue.addRateLimited(key);
        }
      },
      4,
    ),
  );
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
  /**
   * The kubelet's housekeeping (cleanupOrphanedPodDirs, every 2 s): a pod directory that no pod in the API owns and
   * nothing is mounted under goes. Catches directories a mount in flight re-created after its pod was deleted.
   */
  async function cleanupOrphanedPodDirs(): Promise<void> {
    const uids = await readdir(paths.podsDir).catch(() => [] as string[]);
    for (const uid of uids) await removeOrphanedPodDir(uid);
  }
  let ticks = 0;
  // Every second: pods still waiting get their timeout checked, and volumesInUse follows the volume manager.
  const ticker = setInterval(() => {
    for (const uid of waitingSince.keys()) {
      const key = keyByUid.get(uid);
      if (key) queue.add(key);
    }
    nodeStatus.setVolumesInUse(volumesInUse());
    nodeStatus.writeStatus().catch((err: unknown) => log("updating node status failed", err));
    if (++ticks % 2 === 0) void cleanupOrphanedPodDirs().catch((err: unknown) => log("pod dir cleanup failed", err));
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
        for (const timer of deadlineTimers.values()) clearTimeout(timer);
        // Containers stop with the agent (SIGTERM, SIGKILL after 2 s); their volumes stay for the next start.
        await processRuntime?.stop();
        await Promise.allSettled(running);
        await recorder.flush();
        csi.close();
        await kubelet.close();
      })()),
  };
}
