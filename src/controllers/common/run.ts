// The worker loop every controller here shares (STYLE.md's control-loop shape): sync the key; success forgets its
// backoff, failure re-adds it rate-limited (5 ms doubling, capped), and the queue never runs a key twice at once.
import type { WorkQueue } from "../../client/index.js";

export type Log = (message: string, fields: Record<string, unknown>) => void;

export function runWorkers(
  queue: WorkQueue<string>,
  signal: AbortSignal,
  workers: number,
  sync: (key: string) => Promise<void>,
  log: Log,
): Promise<void> {
  return queue.work(
    signal,
    async (key) => {
      try {
        await sync(key);
        queue.forget(key);
      } catch (err) {
        if (signal.aborted) return;
        log(`${queue.name}: sync failed; will retry`, { key, err: err instanceof Error ? err.message : String(err) });
        queue.addRateLimited(key);
      }
    },
    workers,
  );
}

/** Calls fn every periodMs until the signal aborts (the controllers' periodic resync). */
export function every(periodMs: number, signal: AbortSignal, fn: () => void): void {
  if (periodMs <= 0) return;
  const timer = setInterval(fn, periodMs);
  timer.unref?.();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
