// The work queue every control loop runs on, with client-go's semantics (util/workqueue):
// - add de-duplicates: a key waiting in the queue is there once however often it is added;
// - a key is never handed to two workers at once: added while being processed, it is marked dirty and
//   queued again only when its worker calls done (work() does that), so nothing is lost and nothing races;
// - addRateLimited retries with per-key exponential backoff under an overall token bucket; forget resets it;
// - shutdown stops intake and waits for in-flight keys (with drain: also for everything already queued).
import { ControllerRateLimiter } from "./ratelimiter.js";
import type { RateLimiterOptions } from "./ratelimiter.js";
import { QueueMetrics } from "./workqueuemetrics.js";

export interface WorkQueueOptions extends RateLimiterOptions {
  /** For log lines. */
  name?: string;
  /** Where a worker function's thrown error is reported (default console.warn). */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

// setTimeout's limit; longer delays are clamped (the default cap, 1000 s, is far below it).
const maxTimerMs = 2 ** 31 - 1;

export class WorkQueue<K> {
  readonly name: string;
  private readonly queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  /** Keys that asked for a rate-limited retry while being processed: their backoff must keep growing. */
  private readonly retrying = new Set<K>();
  private readonly waiting = new Map<K, { readyAt: number; timer: NodeJS.Timeout }>();
  private readonly limiter: ControllerRateLimiter<K>;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;
  private readonly idle: Array<() => void> = [];
  private readonly drained: Array<() => void> = [];
  private shuttingDown = false;
  /** Keys handed out by get so far; with resyncMark, says whether the last resync pass was worked through. */
  private handedOut = 0;
  private resyncMark = 0;
  private draining = false;
  private readonly metrics: QueueMetrics<K>;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? "workqueue";
    this.limiter = new ControllerRateLimiter<K>(options);
    this.log = options.log ?? ((message, fields) => console.warn(`[${this.name}] ${message}`, fields));
    this.metrics = new QueueMetrics<K>(this.name, () => this.len());
  }

  /** Queue the key unless it is already waiting; a key being processed runs again after its done. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.metrics.add(key);
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /**
   * A periodic resync's pass: add every key, as upstream's resync does (a key still waiting is de-duplicated) —
   * unless the previous pass is not yet worked through, when this one is skipped (false). Each key already waits,
   * or has run since that pass, or will run after the keys queued with it: a second pass would only re-add the
   * keys that finished meanwhile, so a queue that takes longer than the period would do ever more work, a pass
   * per period for as long as the backlog lasts. Skipping keeps resync work to one pass per worked-through queue.
   */
  resync(keys: Iterable<K>): boolean {
    if (this.shuttingDown || this.handedOut < this.resyncMark) return false;
    for (const key of keys) this.add(key);
    // FIFO: the pass is through once everything queued now has been handed out.
    this.resyncMark = this.handedOut + this.len();
    return true;
  }

  /** Add after a delay; several pending delays for one key keep the earliest. */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const readyAt = Date.now() + delayMs;
    const pending = this.waiting.get(key);
    if (pending && pending.readyAt <= readyAt) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(
      () => {
        this.waiting.delete(key);
        this.add(key);
      },
      Math.min(delayMs, maxTimerMs),
    );
    this.waiting.set(key, { readyAt, timer });
  }

  /** Retry later: 5 ms, 10 ms, 20 ms … per key (capped), and no faster than the overall bucket allows. */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.retry();
    if (this.processing.has(key)) this.retrying.add(key);
    this.addAfter(key, this.limiter.when(key));
  }

  /** The key succeeded: its next failure starts the backoff from the beginning again. */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  /** Keys waiting to be handed out (not counting delayed or in-flight ones). */
  len(): number {
    return this.queue.length - this.head;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * The next key, marked as processing; undefined once the queue shuts down (or the signal aborts).
   * The caller must call done(key) after; work() does this for you.
   */
  async get(signal?: AbortSignal): Promise<K | undefined> {
    while (true) {
      if (signal?.aborted) return undefined;
      if (this.shuttingDown && !this.draining) return undefined;
      if (this.len() > 0) return this.take();
      if (this.shuttingDown) return undefined; // draining and empty
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          signal?.removeEventListener("abort", wake);
          resolve();
        };
        this.idle.push(wake);
        signal?.addEventListener("abort", wake, { once: true });
      });
    }
  }

  /** The next waiting key, marked as processing (the caller checked there is one). */
  private take(): K {
    const key = this.shift();
    this.handedOut++;
    this.dirty.delete(key);
    this.processing.add(key);
    this.metrics.get(key);
    return key;
  }

  /** A key for a worker now, without a promise, when one waits and the queue hands keys out. */
  private takeNow(): K | undefined {
    return this.len() > 0 && (!this.shuttingDown || this.draining) ? this.take() : undefined;
  }

  /** The worker finished the key; if it was added meanwhile, it is queued again now. */
  done(key: K): void {
    this.metrics.done(key);
    this.processing.delete(key);
    if (this.dirty.has(key) && !(this.shuttingDown && !this.draining)) this.push(key);
    else this.dirty.delete(key);
    this.checkDrained();
  }

  /**
   * Runs `workers` loops of get → fn → done until the signal aborts (or shutdown): the control loop every
   * controller, sidecar and node worker shares. A key whose fn throws is logged and retried with addRateLimited;
   * a key whose fn returns is forgotten (its backoff starts over), unless fn itself re-queued it with
   * addRateLimited (a "not yet, try again later" that must keep its growing backoff).
   * Resolves when every loop has finished its last key. The signal aborting shuts the queue down.
   */
  async work(signal: AbortSignal, fn: (key: K) => Promise<void> | void, workers = 1): Promise<void> {
    const onAbort = (): void => void this.shutdown();
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    const loop = async (): Promise<void> => {
      while (true) {
        // A waiting key is taken at once: a promise per key was a noticeable share of a 100,000-key resync pass.
        const key = this.takeNow() ?? (await this.get());
        if (key === undefined) return;
        try {
          await fn(key);
          if (!this.retrying.has(key)) this.forget(key);
        } catch (err) {
          if (signal.aborted) continue; // stopping: a sync cut short by the abort is no failure worth a line
          this.log("sync failed; will retry", { key, err: err instanceof Error ? err.message : String(err) });
          // addRateLimited is a no-op after shutdown; during a drain the key is simply dropped.
          this.addRateLimited(key);
        } finally {
          this.retrying.delete(key);
          this.done(key);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.max(1, workers) }, loop));
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Stops intake (add is ignored, delayed adds are dropped) and resolves when no key is in flight.
   * With drain, workers first finish every key already queued.
   */
  shutdown(options: { drain?: boolean } = {}): Promise<void> {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      this.draining = options.drain ?? false;
      for (const { timer } of this.waiting.values()) clearTimeout(timer);
      this.waiting.clear();
      if (!this.draining) {
        this.queue.length = 0;
        this.head = 0;
        this.metrics.dropQueued();
        for (const key of [...this.dirty]) if (!this.processing.has(key)) this.dirty.delete(key);
      }
      this.wakeAll();
    }
    return new Promise<void>((resolve) => {
      this.drained.push(resolve);
      this.checkDrained();
    });
  }

  private push(key: K): void {
    this.queue.push(key);
    const wake = this.idle.shift();
    if (wake) wake();
  }

  private shift(): K {
    const key = this.queue[this.head++];
    // Compact now and then so a long-lived queue does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return key;
  }

  private wakeAll(): void {
    for (const wake of this.idle.splice(0)) wake();
  }

  private checkDrained(): void {
    if (!this.shuttingDown || this.processing.size > 0 || (this.draining && this.len() > 0)) return;
    if (this.draining) this.wakeAll();
    for (const resolve of this.drained.splice(0)) resolve();
  }
}
