// The store's health for /readyz and /healthz, as kube-apiserver's "etcd" check: a read of the current revision
// every second, answered within a deadline. Probed in the background so the health endpoints answer at once
// (and a dead etcd cannot pile up health requests).
import type { Store } from "../store/store.js";

export interface HealthCheck {
  name: string;
  /** Undefined when healthy, else why not (logged; the endpoint says only that it failed, as upstream). */
  failure(): string | undefined;
}

export class StoreHealth implements HealthCheck {
  readonly name = "etcd";
  private problem?: string = "not checked yet";
  private timer?: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly store: Store,
    private readonly intervalMs = 1000,
    private readonly deadlineMs = 2000,
  ) {}

  /** Resolves once the first probe has answered, so a server that listens afterwards reports the truth. */
  start(): Promise<void> {
    this.timer = setInterval(() => void this.probe(), this.intervalMs);
    this.timer.unref();
    return this.probe();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  failure(): string | undefined {
    return this.problem;
  }

  async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.deadlineMs} ms`)), this.deadlineMs);
    });
    try {
      await Promise.race([this.store.currentRevision(), deadline]);
      this.problem = undefined;
    } catch (err) {
      this.problem = (err as Error).message;
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }
}

/** kube-apiserver's answer: "ok", or 500 with a line per check ("[-]etcd failed: reason withheld"). */
export function healthReport(checks: HealthCheck[], endpoint: string): { status: number; text: string } {
  const failed = checks.filter((c) => c.failure() !== undefined);
  if (failed.length === 0) return { status: 200, text: "ok" };
  const lines = [
    "[+]ping ok",
    ...checks.map((c) => (c.failure() ? `[-]${c.name} failed: reason withheld` : `[+]${c.name} ok`)),
  ];
  return { status: 500, text: `${lines.join("\n")}\n${endpoint} check failed\n` };
}
