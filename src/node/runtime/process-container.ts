// One run of one container under runtime "process": spawn its setup step (process-setup.ts) in a new mount
// namespace, copy its output into the CRI log, and report how it ended. The run's processes are the processes in
// its mount namespace: when the main process exits the rest are killed, as a pid namespace's would be.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { chmod, mkdir, open, readlink, rm, writeFile, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ContainerLog, type LogRotation } from "./process-log.js";
import { defaultPath, launchArgv, startedMarker, type ContainerLaunch } from "./process-setup.js";
import { signalNamespace, startTimeOf } from "./procfs.js";

export interface Exit {
  exitCode: number;
  /** "Completed" (0), "Error", "StartError" when the command never ran (or upstream's ContainerStatusUnknown). */
  reason: string;
  message?: string;
  finishedAt: string;
}

/** What a restarted agent needs to find a run it did not start (pods/<uid>/containers/<name>/state.json). */
/** A container's state as the runtime keeps it (the API's ContainerState, one kind at a time). */
export type ContainerState =
  | { kind: "waiting"; reason: string; message?: string }
  | { kind: "running"; startedAt: string }
  | ({ kind: "terminated"; startedAt?: string } & Exit);

export type TerminatedState = Extract<ContainerState, { kind: "terminated" }>;

export interface RunState {
  pid: number;
  startTime: string;
  mountNamespace: string;
}

export const stateFile = "state.json";

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

export class ContainerRun {
  pid?: number;
  mountNamespace?: string;
  startedAt?: string;
  /** Resolves once the container runs its command (true) or failed to (false). */
  readonly started: Promise<boolean>;
  /** Resolves when the main process is gone, every other process of the run killed and the log flushed. */
  readonly exited: Promise<Exit>;
  private setupText = "";
  private namespaceHandle?: FileHandle;

  private constructor(
    launch: ContainerLaunch,
    private readonly stateDir: string,
    logPath: string,
    private readonly logRotation?: LogRotation,
  ) {
    let markStarted!: (ok: boolean) => void;
    this.started = new Promise((resolve) => (markStarted = resolve));
    this.exited = this.run(launch, logPath, markStarted);
  }

  /** Starts a run; `dir` holds its writable layer and state, `logPath` its CRI log (rotated as `logRotation` says). */
  static start(launch: ContainerLaunch, stateDir: string, logPath: string, logRotation?: LogRotation): ContainerRun {
    return new ContainerRun(launch, stateDir, logPath, logRotation);
  }

  private async run(launch: ContainerLaunch, logPath: string, markStarted: (ok: boolean) => void): Promise<Exit> {
    const log = await ContainerLog.open(logPath, this.logRotation);
    await mkdir(this.stateDir, { recursive: true });
    const message = launch.terminationMessage;
    if (message) {
      // The kubelet bind-mounts an empty file at terminationMessagePath; what the container leaves there is the
      // message of its terminated state (at most 4 KiB).
      await mkdir(dirname(message.hostPath), { recursive: true });
      await writeFile(message.hostPath, "");
      await chmod(message.hostPath, 0o666); // the kubelet's: a container running as any user may write it
      launch = {
        ...launch,
        mounts: [
          ...launch.mounts,
          { hostPath: message.hostPath, containerPath: message.containerPath, readOnly: false },
        ],
      };
    }
    const { file, args } = launchArgv(launch);
    // Its own session: a Ctrl-C on the agent's terminal is not the container's to receive.
    const child = spawn(file, args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe", "pipe"],
      env: { PATH: defaultPath },
    });
    this.pid = child.pid;
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    // stdio is ["ignore", "pipe", "pipe", "pipe"]: stdout and stderr exist.
    const copied = Promise.all([
      child.stdout ? log.follow(child.stdout, "stdout") : undefined,
      child.stderr ? log.follow(child.stderr, "stderr") : undefined,
    ]);
    const setup = child.stdio[3] as NodeJS.ReadableStream | null;
    let running = false;
    let recorded: Promise<void> = Promise.resolve();
    const setupClosed = new Promise<void>((resolve) => {
      if (!setup) return resolve();
      setup.on("end", resolve);
      setup.on("close", resolve);
      setup.on("error", () => resolve());
    });
    if (setup) {
      setup.setEncoding("utf8");
      setup.on("data", (text: string) => {
        this.setupText += text;
        if (!running && this.setupText.split("\n").some((line) => line.startsWith(startedMarker))) {
          running = true;
          recorded = this.markRunning(child.pid).then(() => markStarted(true));
        }
      });
    }
    const ended = await Promise.race([closed, spawnError]);
    if (ended instanceof Error) {
      markStarted(false);
      await copied;
      await log.close();
      return { exitCode: 128, reason: "StartError", message: ended.message, finishedAt: now() };
    }
    // The setup pipe says whether the command ever ran (it closes at the exec, or when the setup dies).
    await setupClosed;
    await recorded;
    // The container's other processes die with its main one (a pid namespace's init would take them along).
    if (this.mountNamespace) await signalNamespace(this.mountNamespace, "SIGKILL");
    // Only now may the namespace go, and its number with it (see markRunning).
    await this.namespaceHandle?.close();
    this.namespaceHandle = undefined;
    await copied;
    await log.close();
    await rm(join(this.stateDir, stateFile), { force: true });
    if (!running) {
      markStarted(false);
      const message = this.setupText.trim().split("\n").pop() || "the container's setup failed";
      return { exitCode: 128, reason: "StartError", message, finishedAt: now() };
    }
    const exitCode = ended.code ?? 128 + (ended.signal ? constants.signals[ended.signal] : 0);
    const text = message ? await readTerminationMessage(message.hostPath) : "";
    return {
      exitCode,
      reason: exitCode === 0 ? "Completed" : "Error",
      ...(text ? { message: text } : {}),
      finishedAt: now(),
    };
  }

  private async markRunning(pid: number | undefined): Promise<void> {
    this.startedAt = now();
    if (pid === undefined) return;
    this.pid = pid;
    // Hold the namespace open while the run lasts: the kernel reuses a freed namespace's number at once, so once
    // the last process of this container is gone another container's new namespace may carry the same
    // "mnt:[…]" — and killing "what is left in this namespace" would kill that container's processes.
    this.namespaceHandle = await open(`/proc/${pid}/ns/mnt`, "r").catch(() => undefined);
    this.mountNamespace = this.namespaceHandle
      ? await readlink(`/proc/self/fd/${this.namespaceHandle.fd}`).catch(() => undefined)
      : undefined;
    const startTime = await startTimeOf(pid);
    if (this.mountNamespace && startTime) {
      const state: RunState = { pid, startTime, mountNamespace: this.mountNamespace };
      await writeFile(join(this.stateDir, stateFile), JSON.stringify(state));
    }
  }

  /** Signals the main process only (what a runtime's StopContainer does first). */
  signalMain(signal: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGKILLs every process of the run. */
  async killAll(): Promise<void> {
    if (this.mountNamespace) await signalNamespace(this.mountNamespace, "SIGKILL");
    this.signalMain("SIGKILL");
  }
}

/** The first 4 KiB of a termination message file (kuberuntime's maxTerminationMessageLength is 4096 bytes). */
async function readTerminationMessage(path: string): Promise<string> {
  try {
    const file = await open(path, "r");
    try {
      const buffer = Buffer.alloc(4096);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      return buffer.subarray(0, bytesRead).toString("utf8");
    } finally {
      await file.close();
    }
  } catch {
    return "";
  }
}
