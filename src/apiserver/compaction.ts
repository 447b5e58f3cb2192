// Periodic compaction, as upstream's apiserver asks etcd every 5 minutes: each tick compacts up to the revision
// seen at the previous tick, so watchers and paginated lists always have at least one interval to resume.
import type { Store } from "../store/store.js";

export class Compactor {
  private timer?: NodeJS.Timeout;
  private previous = 0;

  constructor(
    private readonly store: Store,
    private readonly intervalMs: number,
    private readonly log: (message: string, err?: unknown) => void,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async tick(): Promise<void> {
    try {
      const current = await this.store.currentRevision();
      if (this.previous > 0) await this.store.compact(this.previous);
      this.previous = current;
    } catch (err) {
      this.log("compaction failed; will retry at the next interval", err);
    }
  }
}
