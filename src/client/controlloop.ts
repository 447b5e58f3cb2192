// The one contract every control loop keeps (controllers, CSI sidecars, the scheduler, the node's workers):
// watch → informer cache → WorkQueue → sync(key). Event handlers only enqueue keys; `sync(key)` lives in its own
// file, reads the cache, takes at most one step and may run any number of times; WorkQueue.work retries a key
// whose sync threw, with per-key backoff, and forgets one that returned.

/** A started loop. */
export interface Started {
  /** Resolves once the loop has stopped after its signal aborted: every in-flight sync finished, nothing queued. */
  readonly done: Promise<void>;
}

/**
 * Starts a control loop with what it needs (client, informers, recorder, log) and an abort signal; resolves once its
 * caches have synced and its workers run. Aborting the signal stops it; `done` says when it has drained.
 */
export type StartLoop<Context> = (ctx: Context, signal: AbortSignal) => Promise<Started>;

/** Calls fn every periodMs until the signal aborts: a loop's periodic resync (its level-triggered safety net). */
export function every(periodMs: number, signal: AbortSignal, fn: () => void): void {
  if (periodMs <= 0) return;
  const timer = setInterval(fn, periodMs);
  timer.unref?.();
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
}
