// Watch fan-out shared by the in-process backends (memory, SQLite): committed events are pushed to every
// live watcher's own buffer right after commit, so one write costs one pass over the watchers and no re-read
// of the backend per watcher. A watcher first replays history from the backend's event log (page by page, so
// an old `from` cannot load the whole log at once), then goes live; see Watcher for the hand-over and for
// what happens to slow consumers.

import { CompactedError, StoreClosedError } from "./store.js";
import type { Revision, WatchEvent } from "./store.js";

/** What a backend offers the hub. All synchronous, so a check and a read happen with no commit between them. */
export interface EventLog {
  /** The newest committed (and published) revision. */
  headRevision(): Revision;
  /** Revisions at or below this are gone from the log. */
  compactedRevision(): Revision;
  /** Logged events for keys under `prefix` with after < revision <= upTo, in order, at most `limit`. */
  readEvents(prefix: string, after: Revision, upTo: Revision, limit: number): WatchEvent[];
}

export interface WatchHubOptions {
  /**
   * Live events a watcher may hold for its consumer before it drops them and catches up from the log instead.
   * Writers never wait for watchers; without this bound a consumer that stopped reading would hold every
   * event in memory forever.
   */
  bufferLimit?: number;
  /** History events read from the log per step of a replay. */
  replayPage?: number;
}

export const defaultWatchBufferLimit = 10_000;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  /**
   * One abort listener per signal, however many watches share it (an informer factory may pass one signal to
   * dozens): a listener per watch would trip Node's MaxListenersExceededWarning and cost O(n) to remove.
   */
  private readonly bySignal = new WeakMap<AbortSignal, { watchers: Set<Watcher>; onAbort: () => void }>();
  private closed = false;
  readonly bufferLimit: number;
  readonly replayPage: number;

  constructor(
    private readonly log: EventLog,
    options: WatchHubOptions = {},
  ) {
    this.bufferLimit = options.bufferLimit ?? defaultWatchBufferLimit;
    this.replayPage = options.replayPage ?? 1000;
  }

  watch(prefix: string, from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent> {
    return { [Symbol.asyncIterator]: () => new Watcher(this, this.log, prefix, from, signal) };
  }

  /** Called by the backend right after a commit, with that commit's events in revision order. */
  publish(events: readonly WatchEvent[]): void {
    if (this.watchers.size === 0 || events.length === 0) return;
    for (const watcher of this.watchers) watcher.offer(events);
  }

  /** Ends every watch (their iterations finish) and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const watcher of [...this.watchers]) watcher.end();
  }

  get size(): number {
    return this.watchers.size;
  }

  /** @internal */
  register(watcher: Watcher, signal: AbortSignal): void {
    if (this.closed) throw new StoreClosedError();
    this.watchers.add(watcher);
    let entry = this.bySignal.get(signal);
    if (!entry) {
      const watchers = new Set<Watcher>();
      const onAbort = () => {
        for (const each of [...watchers]) each.end();
      };
      entry = { watchers, onAbort };
      this.bySignal.set(signal, entry);
      signal.addEventListener("abort", onAbort, { once: true });
    }
    entry.watchers.add(watcher);
  }

  /** @internal */
  unregister(watcher: Watcher, signal: AbortSignal): void {
    this.watchers.delete(watcher);
    const entry = this.bySignal.get(signal);
    if (!entry) return;
    entry.watchers.delete(watcher);
    if (entry.watchers.size === 0) {
      signal.removeEventListener("abort", entry.onAbort);
      this.bySignal.delete(signal);
    }
  }
}

const doneResult: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * One watch. It is either replaying (reading the backend's log page by page, ignoring live events, which the
 * log has too) or live (taking events from the hub into its buffer). It goes live the moment its replay reaches
 * the head revision: that check and the switch are one synchronous step, and the hub publishes right after each
 * commit, so nothing falls between log and buffer. A live watcher whose consumer falls behind by more than the
 * buffer limit drops its buffer and goes back to replaying from its last delivered revision, as etcd's
 * "unsynced" watchers do: writers never wait, memory stays bounded, nothing is dropped or reordered. Only when
 * compaction has removed what it still has to deliver does it end, with CompactedError: the apiserver answers
 * 410 Gone / "too old resource version" and the client re-lists.
 */
class Watcher implements AsyncIterator<WatchEvent> {
  private started = false;
  private finished = false;
  private failure: Error | undefined;
  private live = false;
  /** Replaying: the log has been read up to here. Live: the buffer holds events above it. */
  private cursor: Revision;
  private pending: WatchEvent[] = [];
  private pendingHead = 0;
  private delivered: Revision;
  private wake: (() => void) | undefined;

  constructor(
    private readonly hub: WatchHub,
    private readonly log: EventLog,
    private readonly prefix: string,
    from: Revision,
    private readonly signal: AbortSignal,
  ) {
    this.cursor = from;
    this.delivered = from;
  }

  private start(): void {
    this.started = true;
    if (this.signal.aborted) return this.end();
    this.hub.register(this, this.signal);
  }

  /** Live events from the hub (already committed, in order). */
  offer(events: readonly WatchEvent[]): void {
    if (!this.live || this.finished) return;
    let added = false;
    for (const event of events) {
      if (event.kv.modRevision <= this.cursor || !event.kv.key.startsWith(this.prefix)) continue;
      this.pending.push(event);
      added = true;
    }
    if (this.pending.length - this.pendingHead > this.hub.bufferLimit) {
      // The consumer is too slow to keep in memory: catch up from the log instead, from what it has seen.
      this.live = false;
      this.cursor = this.delivered;
      this.pending = [];
      this.pendingHead = 0;
    }
    if (added) this.notify();
  }

  /** Ends the iteration normally (signal aborted, store closed). */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    this.notify();
  }

  private fail(error: Error): void {
    if (this.finished) return;
    this.failure = error;
    this.end();
  }

  private release(): void {
    this.hub.unregister(this, this.signal);
    this.live = false;
    this.pending = [];
    this.pendingHead = 0;
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<WatchEvent>> {
    if (!this.started) this.start();
    while (true) {
      if (this.finished) {
        const failure = this.failure;
        this.failure = undefined;
        if (failure) throw failure;
        return doneResult;
      }
      const event = this.take();
      if (event) {
        this.delivered = event.kv.modRevision;
        return { done: false, value: event };
      }
      if (this.finished) continue; // take() may have failed the watch (compacted during replay)
      if (!this.live) continue; // a page with nothing under our prefix: read the next one
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private take(): WatchEvent | undefined {
    if (this.pendingHead < this.pending.length) {
      const event = this.pending[this.pendingHead++];
      if (this.pendingHead === this.pending.length) {
        this.pending = [];
        this.pendingHead = 0;
      }
      return event;
    }
    if (this.live) return undefined;
    // Replaying. The compaction check, the read and the switch to live are one synchronous step.
    const compacted = this.log.compactedRevision();
    if (this.cursor < compacted) {
      this.fail(new CompactedError(this.cursor, compacted));
      return undefined;
    }
    const head = this.log.headRevision();
    if (this.cursor < head) {
      const page = this.log.readEvents(this.prefix, this.cursor, head, this.hub.replayPage);
      this.cursor = page.length < this.hub.replayPage ? head : page[page.length - 1].kv.modRevision;
      if (page.length > 0) {
        this.pending = page;
        this.pendingHead = 1;
        return page[0];
      }
    }
    // Caught up with the head (or watching from a future revision): from now on the hub brings the events.
    this.live = true;
    return undefined;
  }

  async return(): Promise<IteratorResult<WatchEvent>> {
    this.failure = undefined;
    this.end();
    return doneResult;
  }
}
