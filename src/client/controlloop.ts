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

/** Takes the loop's informer handlers off when its signal aborts: a stopped loop must not keep feeding a dead queue. */
export function removeWhenAborted(signal: AbortSignal, removers: Array<() => void>): void {
  signal.addEventListener("abort", () => removers.forEach((remove) => remove()), { once: true });
}

/** A loop started with no way to be useful (its signal aborted before the caches synced): nothing to wait for. */
export const stopped: Started = { done: Promise.resolve() };
