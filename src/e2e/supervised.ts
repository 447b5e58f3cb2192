// A process kept running as systemd or a kubelet keeps a static pod running: started again shortly after it exits,
// whatever the reason (a kill -9 from a test, a sidecar exiting on a lost Lease). Tests break it on purpose and
// measure how long the system around it takes to notice and to mend.
import type { ChildProcess } from "node:child_process";
import { untilOutput } from "./agentprocess.js";
import { freeze as freezeProcess, kill9 } from "./faults.js";

export interface SupervisedOptions {
  name: string;
  /** Starts the process (its stdout and stderr piped). */
  launch: () => ChildProcess;
  /** What it prints once it serves. */
  ready: string;
  /** How long after an exit it is started again (systemd's RestartSec). */
  restartDelayMs?: number;
  /** Stops it for good when aborted (the machine it runs on is going away). */
  signal?: AbortSignal;
}

export class Supervised {
  readonly name: string;
  child!: ChildProcess;
  /** How many times it was started again after an exit. */
  restarts = 0;
  private stopped = false;
  private tail = "";
  private readyNow!: Promise<void>;

  private constructor(private readonly options: SupervisedOptions) {
    this.name = options.name;
  }

  /**
   * Starts it, resolved once it is ready — a first start that fails is retried as any exit is, for up to two
   * minutes — and stopped by `stop()` (the caller's t.after).
   */
  static async start(options: SupervisedOptions): Promise<Supervised> {
    const supervised = new Supervised(options);
    options.signal?.addEventListener("abort", () => void supervised.stop(), { once: true });
    supervised.launch();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        void supervised.stop();
        reject(new Error(`${options.name} not ready within 2 minutes: ${supervised.output()}`));
      }, 120_000);
    });
    try {
      await Promise.race([supervised.ready(), late]);
    } finally {
      clearTimeout(timer);
    }
    return supervised;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last few KiB it printed, across restarts (for a failing test's message). */
  output(): string {
    return this.tail;
  }

  /** Resolves once the current run (or the next, if this one ends first) is ready. */
  async ready(): Promise<void> {
    for (;;) {
      const current = this.readyNow;
      try {
        await current;
        return;
      } catch {
        if (this.stopped) throw new Error(`${this.name} was stopped`);
        while (this.readyNow === current) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  /** kill -9; the supervisor starts it again. */
  kill9(): Promise<void> {
    return kill9(this.child);
  }

  /** SIGSTOP; the returned resume sends SIGCONT. */
  freeze(): Promise<{ resume(): void }> {
    return freezeProcess(this.child);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.child.kill("SIGCONT");
    await kill9(this.child);
  }

  private launch(): void {
    const child = this.options.launch();
    this.child = child;
    const keep = (chunk: Buffer) => (this.tail = (this.tail + chunk.toString()).slice(-8 * 1024));
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.readyNow = untilOutput(child, this.options.ready, this.name).then(() => undefined);
    this.readyNow.catch(() => undefined); // an exit before ready is the exit handler's to deal with
    child.once("exit", () => {
      if (this.stopped) return;
      setTimeout(() => {
        if (this.stopped) return;
        this.restarts++;
        this.launch();
      }, this.options.restartDelayMs ?? 300);
    });
  }
}
