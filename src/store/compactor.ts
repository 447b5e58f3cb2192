// Periodic compaction, as kube-apiserver does it (--etcd-compaction-interval, 5 minutes by default): at each
// tick, forget history older than the revision seen at the previous tick. Watches and paginated lists that are
// younger than one interval keep working; older ones get 410 Gone and re-list. Without it the event log (SQLite
// table, or the memory backend's array) grows with every write forever.

import type { Revision, Store } from "./store.js";

export interface CompactorOptions {
  /** Milliseconds between compactions; 5 minutes unless told. */
  intervalMs?: number;
  /** Stops the compactor. */
  signal: AbortSignal;
  /** Told about a failed compaction (the next tick tries again); silent unless given. */
  onError?: (err: unknown) => void;
}

export function startCompactor(store: Store, options: CompactorOptions): void {
  const intervalMs = options.intervalMs ?? 5 * 60_000;
  let previous: Revision | undefined;
  const tick = async () => {
    try {
      const current = await store.currentRevision();
      if (previous !== undefined) await store.compact(previous);
      previous = current;
    } catch (err) {
      if (!options.signal.aborted) options.onError?.(err);
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref(); // never the reason a process stays up
  void tick();
  options.signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
