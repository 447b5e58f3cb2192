// emptyDir sizeLimit enforcement as the kubelet's eviction manager does it (pkg/kubelet/eviction/eviction_manager.go
// localStorageEviction → emptyDirLimitEviction): every monitoring period each active pod's emptyDir volumes with a
// sizeLimit are measured (a du-like walk: allocated blocks, each inode once, never crossing into another
// filesystem), and a pod whose volume uses more than its limit is evicted: a Warning "Evicted" event, its
// containers stopped, and its status Failed with reason Evicted and upstream's message. A Failed pod needs no
// volumes, so the reconciler then tears them down (the emptyDir's data goes with it).
// Memory-medium emptyDirs are a tmpfs of size=sizeLimit (plugins/emptydir.ts): the kernel refuses writes beyond it,
// and the same measurement applies to what was written.
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Counter } from "prom-client";
import type { ContainerStatus, Pod, PodCondition, PodStatus } from "../api/core/types.js";
import { Quantity } from "../api/quantity.js";
import { isConflict, isNotFound, type Client, type EventRecorder, type Lister } from "../client/index.js";
import { pluginNames, type NodePaths } from "./paths.js";

/** pkg/kubelet/eviction/helpers.go: the event reason and the pod status reason. */
export const evictionReason = "Evicted";
/** helpers.go emptyDirMessageFmt (the trailing space is upstream's). */
export const emptyDirMessage = (volume: string, limit: string): string =>
  `Usage of EmptyDir volume "${volume}" exceeds the limit "${limit}". `;

/** The kubelet's evictionMonitoringPeriod. */
export const defaultEvictionIntervalMs = 10_000;

/**
 * Finished monitoring passes, per node: what tells a reader (and a test) that the manager has looked since a write,
 * instead of waiting a guessed number of periods. The kubelet has no such counter; its sync loops expose theirs
 * the same way (kubelet_pleg_relist_duration_seconds_count).
 */
const passes = new Counter({
  name: "stowage_eviction_manager_passes_total",
  help: "Number of finished eviction manager monitoring passes (emptyDir sizeLimit checks)",
  labelNames: ["node"],
});

export interface EvictionManagerOptions {
  /** Labels this manager's passes in /metrics. */
  nodeName: string;
  pods: Lister<Pod>;
  paths: NodePaths;
  client: Client;
  recorder: EventRecorder;
  intervalMs?: number;
  /** Stops the pod's containers (the runtime's kill); absent for runtime none, where nothing runs. */
  killPod?: (pod: Pod) => Promise<void>;
  log(message: string, err?: unknown): void;
}

/**
 * Bytes allocated under `dir` as du counts them (st_blocks × 512), each inode once, staying on dir's filesystem
 * (pkg/volume/util/fs DiskUsage). A missing dir uses nothing; files vanishing mid-walk are skipped.
 */
export async function diskUsage(dir: string): Promise<bigint> {
  const root = await lstat(dir, { bigint: true }).catch(() => undefined);
  if (!root) return 0n;
  const seen = new Set<bigint>();
  let total = 0n;
  const walk = async (path: string): Promise<void> => {
    const info = await lstat(path, { bigint: true }).catch(() => undefined);
    if (!info || info.dev !== root.dev || seen.has(info.ino)) return;
    seen.add(info.ino);
    total += info.blocks * 512n;
    if (!info.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    for (const name of names) await walk(join(path, name));
  };
  await walk(dir);
  return total;
}

/** The pods the eviction manager looks at: admitted here and not finished or being deleted. */
const active = (pod: Pod): boolean =>
  !pod.metadata.deletionTimestamp && pod.status?.phase !== "Succeeded" && pod.status?.phase !== "Failed";

/** The first emptyDir of the pod using more than its sizeLimit, as the message to evict it with. */
export async function emptyDirOverLimit(paths: NodePaths, pod: Pod): Promise<string | undefined> {
  for (const volume of pod.spec.volumes ?? []) {
    const limitText = volume.emptyDir?.sizeLimit;
    if (!limitText) continue;
    let limit: Quantity;
    try {
      limit = Quantity.parse(limitText, "sizeLimit");
    } catch {
      continue; // validated by the apiserver; a value it let through that we cannot read limits nothing
    }
    if (limit.value <= 0n) continue;
    const dir = paths.podVolumeDir(pod.metadata.uid ?? "", pluginNames.emptyDir, volume.name);
    const used = await diskUsage(dir);
    if (used > limit.value) return emptyDirMessage(volume.name, limit.toString());
  }
  return undefined;
}

/** The status the kubelet writes for an evicted pod: Failed/Evicted, containers terminated, not ready. */
export function evictedStatus(pod: Pod, message: string, now: string): PodStatus {
  const old = pod.status ?? {};
  const terminated = (status: ContainerStatus): ContainerStatus => {
    if (status.state?.terminated) return status;
    const startedAt = status.state?.running?.startedAt;
    return {
      ...status,
      state: {
        // What a killed container shows: SIGKILL's 128+9 (runtime none kills nothing, and says the same).
        terminated: { exitCode: 137, reason: "Error", ...(startedAt ? { startedAt } : {}), finishedAt: now },
      },
      ready: false,
      started: false,
    };
  };
  const containerStatuses = (old.containerStatuses ?? []).map(terminated);
  // status/generate.go: a Failed pod's Ready and ContainersReady are False with reason PodFailed.
  const notReady = (type: string): PodCondition => {
    const before = old.conditions?.find((c) => c.type === type);
    return {
      type,
      status: "False",
      lastProbeTime: null,
      lastTransitionTime: before?.status === "False" ? before.lastTransitionTime : now,
      reason: "PodFailed",
    };
  };
  const conditions = (old.conditions ?? []).map((c) =>
    c.type === "Ready" || c.type === "ContainersReady" ? notReady(c.type) : c,
  );
  return { ...old, phase: "Failed", reason: evictionReason, message, conditions, containerStatuses };
}

export class EvictionManager {
  /** Pods already evicted by this agent (their status write may still be on its way through the cache). */
  private readonly evicted = new Set<string>();

  constructor(private readonly options: EvictionManagerOptions) {}

  /** One monitoring pass: evicts every active pod with an emptyDir over its limit. Returns the evicted pods' names. */
  async synchronize(): Promise<string[]> {
    const out: string[] = [];
    for (const pod of this.options.pods.list()) {
      const uid = pod.metadata.uid ?? "";
      if (!active(pod) || this.evicted.has(uid)) continue;
      const message = await emptyDirOverLimit(this.options.paths, pod);
      if (message === undefined) continue;
      await this.evict(pod, message);
      out.push(`${pod.metadata.namespace}/${pod.metadata.name}`);
    }
    // Forget pods that are gone, so the set does not grow with every evicted pod ever.
    const present = new Set(this.options.pods.list().map((p) => p.metadata.uid ?? ""));
    for (const uid of this.evicted) if (!present.has(uid)) this.evicted.delete(uid);
    return out;
  }

  /** evictPod: the event first, then the containers stopped, then the status (retried on conflict). */
  private async evict(pod: Pod, message: string): Promise<void> {
    const { client, recorder, killPod, log } = this.options;
    this.evicted.add(pod.metadata.uid ?? "");
    recorder.event(pod, "Warning", evictionReason, message);
    if (killPod) await killPod(pod).catch((err: unknown) => log(`stopping evicted pod ${pod.metadata.name}`, err));
    const namespace = pod.metadata.namespace ?? "default";
    const name = pod.metadata.name ?? "";
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const current = await client.pods.get(namespace, name);
        if (current.metadata.uid !== pod.metadata.uid) return;
        const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
        await client.pods.updateStatus({ ...current, status: evictedStatus(current, message, now) });
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!isConflict(err)) throw err;
      }
    }
    this.evicted.delete(pod.metadata.uid ?? ""); // the next pass tries again
  }

  async run(signal: AbortSignal): Promise<void> {
    const intervalMs = this.options.intervalMs ?? defaultEvictionIntervalMs;
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, intervalMs);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          resolve();
        }
        signal.addEventListener("abort", done, { once: true });
      });
      if (signal.aborted) return;
      try {
        await this.synchronize();
      } catch (err) {
        this.options.log("eviction manager pass failed", err);
      }
      passes.inc({ node: this.options.nodeName });
    }
  }
}
