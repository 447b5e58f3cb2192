// The pod worker (the kubelet's pod workers and status manager, for what storage needs): one sync per pod change
// reports the pod's status — runtime "none": Running once every volume is set up; runtime "process": its containers
// run as processes with their volumes bound in (src/node/runtime/process.ts) — and confirms a deletion in the
// kubelet's order: containers killed first, then the volume manager tears the pod's volumes down, then the final
// delete. Pods force-deleted while their containers still run are remembered until those exit.
import type { ConfigMap, Pod, Secret } from "../api/core/types.js";
import { EventFailedMountVolume, EventWaitForAttach } from "../api/wellknown.js";
import {
  isConflict,
  isNotFound,
  keyOf,
  WorkQueue,
  type Client,
  type EventRecorder,
  type Informer,
} from "../client/index.js";
import { prepareContainerMounts, type ContainerMounts } from "./containermounts.js";
import { removePodDir } from "./housekeeping.js";
import { podObjectsReady } from "./objectcache/podrefs.js";
import type { ObjectReader } from "./objectcache/reader.js";
import type { NodePaths } from "./paths.js";
import { generatePodStatus, generateProcessPodStatus, statusChanged } from "./podstatus.js";
import type { ProcessRuntime } from "./runtime/process.js";
import type { PodRef } from "./runtime/runtime.js";
import type { ActualState } from "./volumemanager/actual.js";
import { podNeedsVolumes, volumeKey, type DesiredListers, type DesiredVolume } from "./volumemanager/desired.js";
import type { Reconciler } from "./volumemanager/reconciler.js";

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

const podRef = (pod: Pod, uid: string): PodRef => ({
  namespace: pod.metadata.namespace ?? "default",
  name: pod.metadata.name ?? "",
  uid,
});

// volume_manager.go podAttachAndMountTimeout.
const defaultMountTimeoutMs = 2 * 60_000 + 3_000;

export interface PodWorkerOptions {
  client: Client;
  nodeName: string;
  paths: NodePaths;
  /** The pods bound to this node (spec.nodeName). */
  pods: Informer<Pod>;
  listers: DesiredListers;
  configMaps: ObjectReader<ConfigMap>;
  secrets: ObjectReader<Secret>;
  actual: ActualState;
  reconciler: Reconciler;
  /** Runtime "process"; undefined for runtime "none" (no containers: status follows the volumes alone). */
  runtime?: ProcessRuntime;
  recorder: EventRecorder;
  hostIP: string;
  /** How long a pod waits for its volumes before the "Unable to attach or mount volumes" event. */
  mountTimeoutMs?: number;
  /** How long a pod waits for a volume's attach before the WaitForAttach event (default 3 s). */
  attachWaitEventMs?: number;
  /** Pods the agent has fenced (fencing.ts): nothing of them runs until the fence is lifted. */
  fenced?: (pod: Pod) => boolean;
  log(message: string, err?: unknown): void;
}

export class PodWorker {
  private readonly queue: WorkQueue<string>;
  private readonly keyByUid = new Map<string, string>();
  /** Pods gone from the API (force-deleted) whose containers are still being killed. */
  private readonly gonePods = new Map<string, Pod>();
  /** activeDeadlineSeconds: the pod is synced again when its deadline passes (runtime process). */
  private readonly deadlineTimers = new Map<string, NodeJS.Timeout>();
  /** Pods whose volumes are not all set up yet, since when (for the mount timeout event). */
  private readonly waitingSince = new Map<string, number>();
  /** Pods waiting for a volume to be attached: since when, and whether WaitForAttach was said for this wait. */
  private readonly attachWait = new Map<string, { since: number; said: boolean }>();
  /** Pods not started yet whose claims were read afresh (readClaimsAfresh). */
  private readonly readAfresh = new Set<string>();

  constructor(private readonly options: PodWorkerOptions) {
    this.queue = new WorkQueue<string>({
      name: `node-${options.nodeName}-pods`,
      log: (_message, { key, err }) => options.log(`syncing pod ${String(key)} failed; will retry`, err),
    });
    const { pods, reconciler } = options;
    pods.onAdd((pod) => this.track(pod));
    pods.onUpdate((_old, pod) => this.track(pod));
    pods.onDelete((pod) => {
      this.untrack(pod);
      reconciler.trigger();
    });
  }

  /** Whether a pod with this UID is bound here in the API. */
  knows(podUid: string): boolean {
    return this.keyByUid.has(podUid);
  }

  /** The pod (in the API, or gone with containers still running) with this UID: runtime events go to it. */
  podByUid(podUid: string): Pod | undefined {
    return this.gonePods.get(podUid) ?? this.options.pods.get(this.keyByUid.get(podUid) ?? "");
  }

  /** Force-deleted pods whose containers still run (the volume manager keeps their volumes). */
  gone(): Pod[] {
    return [...this.gonePods.values()];
  }

  /** Syncs the pod with this UID again (its volumes changed); false when no pod in the API has this UID. */
  resync(podUid: string): boolean {
    const key = this.keyByUid.get(podUid);
    if (key) this.queue.add(key);
    return key !== undefined;
  }

  /** The runtime saw the pod's containers change; a force-deleted pod is forgotten once they have all exited. */
  containersChanged(podUid: string): void {
    if (!this.resync(podUid) && this.gonePods.has(podUid)) void this.forgetGonePod(podUid);
  }

  /** Pods still waiting for their volumes are synced again, so their mount timeout is checked (every second). */
  requeueWaiting(): void {
    for (const uid of this.waitingSince.keys()) {
      const key = this.keyByUid.get(uid);
      if (key) this.queue.add(key);
    }
  }

  /** The control loop (WorkQueue.work): a sync that throws is retried with backoff, one that returns is forgotten. */
  run(signal: AbortSignal, workers = 4): Promise<void> {
    return this.queue.work(
      signal,
      async (key) => {
        try {
          await this.syncPod(key);
        } catch (err) {
          if (!isConflict(err)) throw err;
          // A stale pod (the informer has not seen our last write yet): retried like a failure, not worth a line.
          this.queue.addRateLimited(key);
        }
      },
      workers,
    );
  }

  /** The agent stops: no deadline timer may requeue a pod after that. */
  stop(): void {
    for (const timer of this.deadlineTimers.values()) clearTimeout(timer);
  }

  private track(pod: Pod): void {
    const { runtime, reconciler } = this.options;
    const uid = pod.metadata.uid ?? "";
    if (pod.metadata.uid) this.keyByUid.set(uid, keyOf(pod));
    const deadline = deadlineOf(pod);
    if (runtime && deadline !== undefined && !this.deadlineTimers.has(uid)) {
      const key = keyOf(pod);
      const timer = setTimeout(() => this.queue.add(key), Math.max(0, deadline - Date.now()) + 50);
      timer.unref();
      this.deadlineTimers.set(uid, timer);
    }
    this.queue.add(keyOf(pod));
    reconciler.trigger();
  }

  private untrack(pod: Pod): void {
    const { runtime } = this.options;
    const uid = pod.metadata.uid ?? "";
    clearTimeout(this.deadlineTimers.get(uid));
    this.deadlineTimers.delete(uid);
    this.keyByUid.delete(uid);
    if (runtime?.podRunning(uid)) {
      // Gone without the agent's confirmation (force delete): its containers are stopped now, with the minimum grace.
      // (Upstream's DELETE event carries deletionGracePeriodSeconds 0, which the minimum raises to 2 s.)
      this.gonePods.set(uid, pod);
      void runtime.killPod(uid, Math.max(minimumGracePeriodSeconds, pod.metadata.deletionGracePeriodSeconds ?? 0));
    } else if (runtime) void this.forgetGonePod(uid, pod);
  }

  /** A pod gone from the API whose containers have all exited: forget it and its logs. */
  private async forgetGonePod(uid: string, known?: Pod): Promise<void> {
    const { runtime } = this.options;
    const pod = known ?? this.gonePods.get(uid);
    if (!pod || !runtime || runtime.podRunning(uid)) return;
    this.gonePods.delete(uid);
    await runtime.removePod(podRef(pod, uid));
  }

  private async syncPod(key: string): Promise<void> {
    const { client, actual, runtime, recorder, hostIP } = this.options;
    const pod = this.options.pods.get(key);
    if (!pod) return;
    const uid = pod.metadata.uid ?? "";
    if (pod.metadata.deletionTimestamp) return this.syncTerminating(pod, uid);
    if (this.options.fenced?.(pod)) {
      // Fenced: its containers stay stopped and its status waits, until the fence is lifted or the pod deleted.
      if (runtime?.podRunning(uid)) void runtime.killPod(uid, 0);
      return;
    }
    runtime?.observe(pod);
    if (runtime && podNeedsVolumes(pod) && deadlineExceeded(pod)) {
      // active_deadline.go: the pod fails, its containers are stopped; the terminal branch below follows them.
      recorder.event(pod, "Warning", reasonDeadlineExceeded, messageDeadlineExceeded);
      void runtime.killPod(uid, gracePeriodOf(pod));
      const status = generateProcessPodStatus(pod, {
        volumesReady: true,
        hostIP,
        now: now(),
        containers: runtime.statuses(uid),
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
      if (!runtime) return;
      if (runtime.podRunning(uid)) void runtime.killPod(uid, gracePeriodOf(pod));
      const status = generateProcessPodStatus(pod, {
        volumesReady: true,
        hostIP,
        now: now(),
        containers: runtime.statuses(uid),
      });
      if (statusChanged(pod.status, status)) await client.pods.updateStatus({ ...pod, status });
      return;
    }
    const started = pod.status?.phase !== undefined && pod.status.phase !== "Pending";
    if (started) this.readAfresh.delete(uid);
    else await this.readClaimsAfresh(pod, uid);
    // The reconciler's memoized copy: the same pod, claims and PVs give the same result, computed once.
    const desired = this.options.reconciler.desiredOf(pod);
    const unmounted = [
      ...desired.errors.map((e) => e.outerName),
      ...desired.volumes
        .filter((v) => {
          const mounted = actual.volumes.get(volumeKey(v));
          if (!mounted || mounted.uncertain) return true;
          // Not started yet: a pending NodeExpandVolume finishes first, as part of mounting (upstream's).
          return !started && this.options.reconciler.expansionPending(v);
        })
        .map((v) => v.outerName),
    ];
    const volumesReady = unmounted.length === 0;
    if (volumesReady) {
      this.waitingSince.delete(uid);
      this.attachWait.delete(uid);
    } else this.checkMountTimeout(pod, uid, unmounted, desired.volumes);
    const { errors: containerErrors, mounts }: ContainerMounts = volumesReady
      ? await prepareContainerMounts(this.options, pod, desired.volumes)
      : { errors: {}, mounts: new Map() };
    let status;
    if (runtime) {
      if (volumesReady) {
        // Their env reads the pod's configMaps and secrets: wait for those watches' first lists, as the kubelet's
        // watch-based manager does, so a container never starts with a source that only seemed missing.
        await podObjectsReady(pod, this.options);
        // Containers whose mounts could not be prepared wait (CreateContainerConfigError); the others start.
        runtime.syncPod(
          pod,
          mounts,
          { configMaps: this.options.configMaps, secrets: this.options.secrets, hostIP },
          new Set(Object.keys(containerErrors)),
        );
      }
      status = generateProcessPodStatus(pod, {
        volumesReady,
        containerErrors,
        hostIP,
        now: now(),
        containers: runtime.statuses(uid),
      });
    } else {
      status = generatePodStatus(pod, { volumesReady, containerErrors, hostIP, now: now() });
    }
    if (!statusChanged(pod.status, status)) return;
    await client.pods.updateStatus({ ...pod, status });
  }

  /**
   * A pod about to start has its claims and their PVs read from the API once (a resize may be a moment old, newer
   * than the cached copies): a pending NodeExpandVolume is then seen, and done, before any container starts.
   */
  private async readClaimsAfresh(pod: Pod, uid: string): Promise<void> {
    if (this.readAfresh.has(uid)) return;
    const { claims, volumes } = this.options.listers;
    for (const volume of this.options.reconciler.desiredOf(pod).volumes) {
      if (volume.kind !== "csi") continue;
      await claims.fresh?.(volume.claimKey);
      await volumes.fresh?.(volume.pvName);
    }
    this.readAfresh.add(uid);
  }

  /** A pod being deleted: containers first, then (the volume manager) its volumes, then the final delete. */
  private async syncTerminating(pod: Pod, uid: string): Promise<void> {
    const { client, actual, runtime } = this.options;
    this.readAfresh.delete(uid);
    if (runtime?.podRunning(uid)) {
      // Graceful termination: SIGTERM, SIGKILL after the grace period the delete asked for. The runtime's
      // onChange brings the pod back here once every container has exited.
      void runtime.killPod(uid, gracePeriodOf(pod));
      return;
    }
    // The kubelet's final delete (status_manager canBeDeleted): only once no volume of the pod is set up.
    if (actual.volumesOfPod(uid).length > 0) return;
    await removePodDir(this.options.paths, uid);
    try {
      await client.pods.delete(pod.metadata.namespace ?? "default", pod.metadata.name ?? "", {
        gracePeriodSeconds: 0,
        preconditions: { uid },
      });
    } catch (err) {
      if (!isNotFound(err) && !isConflict(err)) throw err;
    }
    this.waitingSince.delete(uid);
    this.attachWait.delete(uid);
    await runtime?.removePod(podRef(pod, uid));
  }

  /** volume_manager.go WaitForAttachAndMount's error as kubelet.go records it, then a new wait begins. */
  private checkMountTimeout(pod: Pod, uid: string, unmounted: string[], desired: DesiredVolume[]): void {
    const since = this.waitingSince.get(uid) ?? Date.now();
    this.waitingSince.set(uid, since);
    const unattached = desired
      .filter((v) => this.options.reconciler.unattached.has(volumeKey(v)))
      .map((v) => v.outerName)
      .sort();
    this.sayAttachWait(pod, uid, unattached);
    if (Date.now() - since < (this.options.mountTimeoutMs ?? defaultMountTimeoutMs)) return;
    this.options.recorder.event(
      pod,
      "Warning",
      EventFailedMountVolume,
      `Unable to attach or mount volumes: unmounted volumes=[${[...new Set(unmounted)].sort().join(" ")}], ` +
        `unattached volumes=[${unattached.join(" ")}]: timed out waiting for the condition`,
    );
    this.waitingSince.set(uid, Date.now());
  }

  /**
   * Upstream's kubelet waits for an attach in silence for two minutes before the event above; the pod says within
   * seconds what it waits for (stowage's own WaitForAttach, once per wait).
   */
  private sayAttachWait(pod: Pod, uid: string, unattached: string[]): void {
    if (unattached.length === 0) {
      this.attachWait.delete(uid);
      return;
    }
    const wait = this.attachWait.get(uid) ?? { since: Date.now(), said: false };
    this.attachWait.set(uid, wait);
    if (wait.said || Date.now() - wait.since < (this.options.attachWaitEventMs ?? 3_000)) return;
    wait.said = true;
    this.options.recorder.event(
      pod,
      "Normal",
      EventWaitForAttach,
      `waiting for volumes to be attached to node ${this.options.nodeName}: unattached volumes=[${unattached.join(" ")}] ` +
        "(each volume's VolumeAttachment is attached by its driver's csi-attacher)",
    );
  }
}
