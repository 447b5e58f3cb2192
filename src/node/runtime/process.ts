// Runtime "process": a pod's containers run as processes on the node, each in its own mount namespace with the
// pod's volumes at their mountPaths (process-setup.ts). This file is the kubelet's pod worker half of it
// (kuberuntime_manager.go SyncPod): init containers one at a time to completion, then every container; restarts
// by restartPolicy with the kubelet's back-off (immediately, then 10 s doubling to 5 min); graceful kills.
//
// A restarted agent does not re-adopt containers: their output went through the agent that died. Instead it
// kills what a previous agent left running (pods/<uid>/containers/<name>/state.json: pid, start time, mount
// namespace) before anything starts, and picks up each pod's restart counts from the API; a container that was
// running is then reported as upstream reports one it cannot find (ContainerStatusUnknown, exit code 137) and is
// restarted as its restartPolicy says.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { Container, Pod } from "../../api/core/types.js";
import { containerLogPath, type ContainerRuntime, type ContainerUser, type PodRef } from "./runtime.js";
import type { LogRotation } from "./process-log.js";
import { ContainerRun, type ContainerState, type TerminatedState } from "./process-container.js";
import { containerArgv, containerEnv, ContainerConfigError, containerUser, type EnvSources } from "./process-env.js";
import { killOrphanedContainers, now, seed } from "./process-restart.js";
import type { ContainerMount } from "./process-setup.js";

export interface RuntimeContainerStatus {
  name: string;
  state: ContainerState;
  lastState?: TerminatedState;
  restartCount: number;
  containerID?: string;
}

interface ContainerRecord extends RuntimeContainerStatus {
  run?: ContainerRun;
  /** The ids the run was started with: exec runs as them too. */
  user?: ContainerUser;
  /** The run is between spawn and exit. */
  alive: boolean;
  backoffMs: number;
  backoffUntil: number;
  /** A retry is scheduled for a container waiting on its configuration (a configMap or secret not there yet). */
  retrying?: boolean;
}

interface PodRecord {
  ref: PodRef;
  /** spec.hostname, else the pod's name; at most 63 characters, as the kubelet's GeneratePodHostNameAndDomain. */
  hostname: string;
  containers: Map<string, ContainerRecord>;
  /** Set once the pod is being killed: nothing starts again. */
  killing?: Promise<void>;
}

export interface ProcessRuntimeOptions {
  rootDir: string;
  /** A container of the pod changed state (started, exited, backed off): sync the pod again. */
  onChange(podUid: string): void;
  /** Events on the pod, as the kubelet records them (Created, Started, Killing, BackOff, Failed). */
  event(podUid: string, type: "Normal" | "Warning", reason: string, message: string): void;
  log(message: string, err?: unknown): void;
  /** The first back-off after a crash; default 10 s (the kubelet's). */
  initialBackoffMs?: number;
  /** --container-log-max-size and --container-log-max-files; default 10 MiB and 5. */
  containerLogRotation?: LogRotation;
}

const maxBackoffMs = 300_000;

export class ProcessRuntime implements ContainerRuntime {
  readonly name = "process" as const;
  private readonly pods = new Map<string, PodRecord>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: ProcessRuntimeOptions) {}

  /** A runtime with what a previous agent left running killed before anything starts. */
  static async start(options: ProcessRuntimeOptions): Promise<ProcessRuntime> {
    const runtime = new ProcessRuntime(options);
    // No re-adoption (the header says why): the previous agent's containers go, and the pod worker starts them again.
    const killed = await runtime.killOrphans();
    if (killed > 0) options.log(`killed ${killed} container processes a previous agent left running`);
    return runtime;
  }

  private containersDir(podUid: string, container: string): string {
    return join(this.options.rootDir, "pods", podUid, "containers", container);
  }

  /** Kills every container process a previous agent left running (called once, before any pod is synced). */
  killOrphans(): Promise<number> {
    return killOrphanedContainers(this.options.rootDir);
  }

  containerPid(podUid: string, container: string): number | undefined {
    const record = this.pods.get(podUid)?.containers.get(container);
    return record?.alive && record.state.kind === "running" ? record.run?.pid : undefined;
  }

  containerUser(podUid: string, container: string): ContainerUser | undefined {
    return this.pods.get(podUid)?.containers.get(container)?.user;
  }

  /** Whether any process of the pod's containers is still alive (its volumes must stay until none is). */
  podRunning(podUid: string): boolean {
    const pod = this.pods.get(podUid);
    return pod !== undefined && [...pod.containers.values()].some((c) => c.alive);
  }

  /** The uids of pods with live containers. */
  runningPods(): string[] {
    return [...this.pods.keys()].filter((uid) => this.podRunning(uid));
  }

  statuses(podUid: string): Map<string, RuntimeContainerStatus> {
    const out = new Map<string, RuntimeContainerStatus>();
    for (const [name, c] of this.pods.get(podUid)?.containers ?? []) {
      out.set(name, {
        name,
        state: c.state,
        lastState: c.lastState,
        restartCount: c.restartCount,
        containerID: c.containerID,
      });
    }
    return out;
  }

  /**
   * Takes note of a pod before anything runs: the first time, each container's record is seeded from the status a
   * previous agent reported (restart counts, terminated states), so a status written before the volumes are ready
   * again does not lose them.
   */
  observe(pod: Pod): void {
    const record = this.record(pod);
    for (const c of pod.spec.initContainers ?? []) this.container(record, c.name, pod, true);
    for (const c of pod.spec.containers) this.container(record, c.name, pod, false);
  }

  /**
   * One step toward the pod's containers running as its spec says: the next init container, else every container
   * not running that should (new, or restartable and out of back-off). `mounts` are the host paths of each
   * container's volumeMounts, already set up; `blocked` containers cannot start (their mounts failed) and wait.
   */
  syncPod(
    pod: Pod,
    mounts: Map<string, ContainerMount[]>,
    sources: EnvSources,
    blocked: ReadonlySet<string> = new Set(),
  ): void {
    if (this.stopped) return; // the agent is stopping: nothing new starts
    const record = this.record(pod);
    if (record.killing) return;
    const policy = pod.spec.restartPolicy ?? "Always";
    for (const container of pod.spec.initContainers ?? []) {
      const c = this.container(record, container.name, pod, true);
      if (c.state.kind === "terminated" && c.state.exitCode === 0) continue;
      if (c.alive || c.state.kind === "running") return; // still initializing
      // A failed init container fails the pod under Never, else it is retried (with back-off) before anything else.
      if (c.state.kind === "terminated" && policy === "Never") return;
      if (!blocked.has(container.name)) this.maybeStart(record, pod, container, c, mounts, sources);
      return;
    }
    for (const container of pod.spec.containers) {
      const c = this.container(record, container.name, pod, false);
      if (c.alive || blocked.has(container.name)) continue;
      if (c.state.kind === "terminated") {
        const restart = policy === "Always" || (policy === "OnFailure" && c.state.exitCode !== 0);
        if (!restart) continue;
      }
      this.maybeStart(record, pod, container, c, mounts, sources);
    }
  }

  /**
   * Stops the pod's containers: SIGTERM to each main process, SIGKILL to all their processes after
   * `gracePeriodSeconds`; resolves when none is left. Nothing of the pod starts again. Safe to call repeatedly
   * (eviction, deletion, agent stop): the first call's grace period holds.
   */
  killPod(podUid: string, gracePeriodSeconds: number): Promise<void> {
    const record = this.pods.get(podUid);
    if (!record) return Promise.resolve();
    record.killing ??= (async () => {
      const live = [...record.containers.values()].filter((c) => c.alive && c.run);
      for (const c of live) {
        this.options.event(podUid, "Normal", "Killing", `Stopping container ${c.name}`);
        c.run?.signalMain("SIGTERM");
      }
      const exited = Promise.all(live.map((c) => c.run?.exited));
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, gracePeriodSeconds * 1000)));
      await Promise.race([exited, graceOver]);
      clearTimeout(timer);
      for (const c of live) if (c.alive) await c.run?.killAll();
      await exited;
    })();
    return record.killing;
  }

  /** A pod killed by fencing may run again once the fence is lifted (its containers restart per restartPolicy). */
  allowRestart(podUid: string): void {
    const record = this.pods.get(podUid);
    if (record && !this.podRunning(podUid)) record.killing = undefined;
  }

  /** Forgets a pod whose deletion is final and removes its logs (the kubelet's pod log dir goes with the pod). */
  async removePod(ref: PodRef): Promise<void> {
    if (this.podRunning(ref.uid)) return;
    this.pods.delete(ref.uid);
    await rm(join(this.options.rootDir, "logs", "pods", `${ref.namespace}_${ref.name}_${ref.uid}`), {
      recursive: true,
      force: true,
    });
  }

  /** Stops every container (agent shutdown): SIGTERM, then SIGKILL after `graceSeconds`. */
  async stop(graceSeconds = 2): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all([...this.pods.keys()].map((uid) => this.killPod(uid, graceSeconds)));
  }

  private record(pod: Pod): PodRecord {
    const uid = pod.metadata.uid ?? "";
    let record = this.pods.get(uid);
    if (!record) {
      record = {
        ref: { namespace: pod.metadata.namespace ?? "default", name: pod.metadata.name ?? "", uid },
        hostname: (pod.spec.hostname || pod.metadata.name || "pod").slice(0, 63).replace(/[-.]+$/, ""),
        containers: new Map(),
      };
      this.pods.set(uid, record);
    }
    return record;
  }

  /** The container's record; the first time, seeded from the API status a previous agent wrote. */
  private container(record: PodRecord, name: string, pod: Pod, init: boolean): ContainerRecord {
    let c = record.containers.get(name);
    if (c) return c;
    const before = (init ? pod.status?.initContainerStatuses : pod.status?.containerStatuses)?.find(
      (s) => s.name === name,
    );
    c = {
      name,
      state: { kind: "waiting", reason: "ContainerCreating" },
      restartCount: 0,
      alive: false,
      backoffMs: 0,
      backoffUntil: 0,
    };
    if (before) seed(c, before);
    record.containers.set(name, c);
    return c;
  }

  private maybeStart(
    record: PodRecord,
    pod: Pod,
    container: Container,
    c: ContainerRecord,
    mounts: Map<string, ContainerMount[]>,
    sources: EnvSources,
  ): void {
    const restarting =
      c.state.kind === "terminated" || (c.state.kind === "waiting" && c.state.reason === "CrashLoopBackOff");
    if (restarting && Date.now() < c.backoffUntil) {
      const message = `back-off ${Math.round(c.backoffMs / 1000)}s restarting failed container=${c.name} pod=${record.ref.name}_${record.ref.namespace}(${record.ref.uid})`;
      if (c.state.kind === "terminated") c.lastState = { ...c.state };
      if (c.state.kind !== "waiting" || c.state.reason !== "CrashLoopBackOff") {
        c.state = { kind: "waiting", reason: "CrashLoopBackOff", message };
        this.options.event(
          record.ref.uid,
          "Warning",
          "BackOff",
          `Back-off restarting failed container ${c.name} in pod ${record.ref.name}_${record.ref.namespace}(${record.ref.uid})`,
        );
        this.later(record.ref.uid, c.backoffUntil - Date.now());
      }
      return;
    }
    let env: Record<string, string>;
    let user: ContainerUser | undefined;
    try {
      env = containerEnv(pod, container, sources);
      user = containerUser(pod, container);
    } catch (err) {
      if (!(err instanceof ContainerConfigError)) throw err;
      if (c.state.kind !== "waiting" || c.state.message !== err.message) {
        this.options.event(record.ref.uid, "Warning", "Failed", `Error: ${err.message}`);
      }
      c.state = { kind: "waiting", reason: "CreateContainerConfigError", message: err.message };
      // The kubelet retries on its next pod sync; the configMap may simply not have reached the cache yet.
      if (!c.retrying) {
        c.retrying = true;
        this.later(record.ref.uid, 1000, () => (c.retrying = false));
      }
      return;
    }
    if (restarting) {
      if (c.state.kind === "terminated") c.lastState = { ...c.state };
      c.restartCount++;
      // The kubelet's back-off: the first restart at once, then 10 s doubling up to 5 min.
      c.backoffMs = c.backoffMs ? Math.min(c.backoffMs * 2, maxBackoffMs) : (this.options.initialBackoffMs ?? 10_000);
      c.backoffUntil = Date.now() + c.backoffMs;
    }
    this.start(record, container, c, env, user, mounts.get(container.name) ?? []);
  }

  private start(
    record: PodRecord,
    container: Container,
    c: ContainerRecord,
    env: Record<string, string>,
    user: ContainerUser | undefined,
    mounts: ContainerMount[],
  ): void {
    const uid = record.ref.uid;
    const dir = this.containersDir(uid, c.name);
    // A fresh writable layer per run, as a new container gets; the previous run's goes.
    const runDir = join(dir, String(c.restartCount));
    void rm(join(dir, String(c.restartCount - 1)), { recursive: true, force: true });
    const run = ContainerRun.start(
      {
        rootfs: join(runDir, "rootfs"),
        upper: join(runDir, "upper"),
        work: join(runDir, "work"),
        workingDir: container.workingDir || "/",
        mounts,
        env,
        argv: containerArgv(container, env),
        user,
        hostname: record.hostname,
        deviceTemplate: join(this.options.rootDir, "runtime", "process", "dev"),
        terminationMessage: {
          hostPath: join(runDir, "termination-log"),
          containerPath: container.terminationMessagePath || "/dev/termination-log",
        },
      },
      dir,
      containerLogPath(this.options.rootDir, record.ref, c.name, c.restartCount),
      this.options.containerLogRotation,
    );
    c.run = run;
    c.user = user;
    c.alive = true;
    c.containerID = `process://${randomBytes(32).toString("hex")}`;
    c.state = { kind: "waiting", reason: "ContainerCreating" };
    this.options.event(uid, "Normal", "Created", `Created container ${c.name}`);
    void run.started.then((ok) => {
      if (!ok || c.run !== run) return;
      c.state = { kind: "running", startedAt: run.startedAt ?? now() };
      this.options.event(uid, "Normal", "Started", `Started container ${c.name}`);
      this.options.onChange(uid);
    });
    void run.exited.then(
      (exit) => {
        if (c.run !== run) return;
        c.alive = false;
        c.state = { kind: "terminated", ...exit, startedAt: run.startedAt ?? exit.finishedAt };
        if (exit.reason === "StartError") this.options.event(uid, "Warning", "Failed", `Error: ${exit.message ?? ""}`);
        // Ran long enough (10 min, the kubelet's reset window) to count as healthy: the next crash restarts at once.
        if (run.startedAt && Date.now() - Date.parse(run.startedAt) > 600_000) c.backoffMs = c.backoffUntil = 0;
        this.options.onChange(uid);
      },
      (err: unknown) => {
        this.options.log(`container ${c.name} of pod ${uid} failed`, err);
        c.alive = false;
        c.state = { kind: "terminated", exitCode: 128, reason: "StartError", message: String(err), finishedAt: now() };
        this.options.onChange(uid);
      },
    );
  }

  private later(podUid: string, ms: number, before?: () => void): void {
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        before?.();
        this.options.onChange(podUid);
      },
      Math.max(ms, 0) + 10,
    );
    this.timers.add(timer);
  }
}
