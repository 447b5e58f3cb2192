// Watch fan-out shared by the in-process backends (memory, SQLite): committed events are pushed to every
// matching watcher's own buffer right after commit, so one write costs one pass over the watchers and no
// re-read of the backend per watcher. A watcher first replays history from the backend's event log (page by
// page, so an old `from` cannot load the whole log at once), then drains its live buffer. It is registered
// before history is read, in the same synchronous step, so no event falls between replay and live delivery.

import { CompactedError, StoreClosedError, WatchTooSlowError } from "./store.js";
import type { Revision, WatchEvent } from "./store.js";

/** What a backend offers the hub. All synchronous: read and register happen in one step, with no commit between. */
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
   * Live events a watcher may have waiting before it is ended with WatchTooSlowError. Writers never wait for
   * watchers; without this bound a consumer that stopped reading would hold every event in memory forever.
   */
  bufferLimit?: number;
  /** History events read from the log per step of a replay. */
  replayPage?: number;
}

export const defaultWatchBufferLimit = 10_000;

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
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
  register(watcher: Watcher): void {
    if (this.closed) throw new StoreClosedError();
    this.watchers.add(watcher);
  }

  /** @internal */
  unregister(watcher: Watcher): void {
    this.watchers.delete(watcher);
  }
}

const doneResult: IteratorReturnResult<undefined> = { done: true, value: undefined };

class Watcher implements AsyncIterator<WatchEvent> {
  private started = false;
  private finished = false;
  private failure: Error | undefined;
  /** Highest revision delivered or queued for delivery from the history; live events are only above it. */
  private replayedTo: Revision;
  /** History still to replay: (cursor, replayUpTo]. */
  private cursor: Revision;
  private replayUpTo: Revision = 0;
  private history: WatchEvent[] = [];
  private historyHead = 0;
  private live: WatchEvent[] = [];
  private liveHead = 0;
  private delivered: Revision;
  private wake: (() => void) | undefined;
  private readonly onAbort = () => this.end();

  constructor(
    private readonly hub: WatchHub,
    private readonly log: EventLog,
    private readonly prefix: string,
    from: Revision,
    private readonly signal: AbortSignal,
  ) {
    this.cursor = from;
    this.replayedTo = from;
    this.delivered = from;
  }

  private start(): void {
    this.started = true;
    if (this.signal.aborted) return this.end();
    const compacted = this.log.compactedRevision();
    if (this.cursor < compacted) return this.fail(new CompactedError(this.cursor, compacted));
    this.hub.register(this);
    this.signal.addEventListener("abort", this.onAbort, { once: true });
    // Everything at or below replayUpTo comes from the log; everything above it arrives through offer().
    this.replayUpTo = Math.max(this.cursor, this.log.headRevision());
    this.replayedTo = this.replayUpTo;
  }

  /** Live events from the hub (already committed, in order). */
  offer(events: readonly WatchEvent[]): void {
    if (this.finished) return;
    for (const event of events) {
      if (event.kv.modRevision <= this.replayedTo || !event.kv.key.startsWith(this.prefix)) continue;
      this.live.push(event);
    }
    const waiting = this.live.length - this.liveHead;
    if (waiting > this.hub.bufferLimit) {
      // Dropping events silently would corrupt the client's cache; ending the watch makes it re-list.
      return this.fail(new WatchTooSlowError(this.delivered, waiting));
    }
    this.notify();
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
    this.hub.unregister(this);
    this.signal.removeEventListener("abort", this.onAbort);
    this.history = [];
    this.live = [];
    this.liveHead = this.historyHead = 0;
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
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private take(): WatchEvent | undefined {
    if (this.historyHead < this.history.length) return this.history[this.historyHead++];
    if (this.cursor < this.replayUpTo) {
      // The check and the read are one synchronous step, so a compaction cannot slip in between.
      const compacted = this.log.compactedRevision();
      if (this.cursor < compacted) {
        this.fail(new CompactedError(this.cursor, compacted));
        return undefined;
      }
      const page = this.log.readEvents(this.prefix, this.cursor, this.replayUpTo, this.hub.replayPage);
      this.cursor = page.length < this.hub.replayPage ? this.replayUpTo : page[page.length - 1].kv.modRevision;
      this.history = page;
      this.historyHead = 0;
      if (page.length > 0) return this.history[this.historyHead++];
    }
    if (this.liveHead < this.live.length) {
      const event = this.live[this.liveHead++];
      if (this.liveHead > 1024 && this.liveHead * 2 > this.live.length) {
        this.live = this.live.slice(this.liveHead);
        this.liveHead = 0;
      }
      return event;
    }
    return undefined;
  }

  async return(): Promise<IteratorResult<WatchEvent>> {
    this.failure = undefined;
    this.end();
    return doneResult;
  }
}
