// The worker loop every controller here shares (STYLE.md's control-loop shape): sync the key; success forgets its
// backoff, failure re-adds it rate-limited (5 ms doubling, capped), and the queue never runs a key twice at once.
import type { WorkQueue } from "../../client/index.js";
export { every } from "../../client/index.js";

import type { Log } from "../../support/log.js";

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
