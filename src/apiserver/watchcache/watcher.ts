// One watch served from the cache (upstream's cacheWatcher): the cache offers it every event, it keeps those in
// its namespace and selection, and the watch stream reads them in order straight from its queue (an iterator, not
// a chain of generators: with a thousand watchers every step per event counts). A consumer that falls too far
// behind is ended, as upstream ends a watcher whose buffer stays full: the client watches again from the last
// resourceVersion it saw.
import type { ResourceDefinition } from "../../api/resource.js";
import type { KeyValue } from "../../store/store.js";
import { matches, selectsEverything, type Selection } from "../registry/select.js";
import type { ObjectEvent, RegistryWatchEvent } from "../registry/watch.js";
import { objectOf } from "./encoded.js";
import type { CachedEvent } from "./event.js";

export interface WatcherFilter {
  def: ResourceDefinition;
  /** Keys under this prefix only (the resource, or one namespace of it). */
  prefix: string;
  selection: Selection;
}

type Next = IteratorResult<RegistryWatchEvent, undefined>;
const finished: Next = { value: undefined, done: true };

export class CacheWatcher implements AsyncIterableIterator<RegistryWatchEvent> {
  private queue: RegistryWatchEvent[] = [];
  private head = 0;
  private waiting?: (next: Next) => void;
  private ended = false;
  private readonly onEnd: Array<() => void> = [];
  private readonly selective: boolean;
  /** Events the client may leave waiting, beyond what was queued before the watch went live. */
  private limit: number;

  constructor(
    private readonly filter: WatcherFilter,
    /** Events buffered for a consumer that stopped reading before the watch is ended. */
    private readonly bufferLimit: number,
  ) {
    this.selective = !selectsEverything(filter.selection);
    this.limit = bufferLimit;
  }

  /** Whether the object stored as `kv` is one this watch is about. */
  wants(kv: KeyValue): boolean {
    if (!kv.key.startsWith(this.filter.prefix)) return false;
    return !this.selective || matches(this.filter.def, this.filter.selection, objectOf(kv));
  }

  offer(event: CachedEvent): void {
    if (this.ended) return;
    const sent = this.sentFor(event);
    if (sent) this.push(sent);
  }

  /** What this watch is sent for a store event, if anything. */
  sentFor(event: CachedEvent): ObjectEvent | undefined {
    if (!event.key.startsWith(this.filter.prefix)) return undefined;
    if (!this.selective) return event.plain();
    const before = event.previous ? this.wants(event.previous) : false;
    const now = event.current ? this.wants(event.current) : false;
    return event.selected(before, now);
  }

  /** Runs `then` once the watch has ended (at once if it has). */
  whenEnded(then: () => void): void {
    if (this.ended) then();
    else this.onEnd.push(then);
  }

  /** Queues what the watch starts with (initial ADDED events, a replay): not counted against the buffer limit. */
  preload(event: RegistryWatchEvent): void {
    this.queue.push(event);
    this.limit = this.queue.length + this.bufferLimit;
  }

  push(event: RegistryWatchEvent): void {
    if (this.ended) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      return waiting({ value: event, done: false });
    }
    if (this.queue.length - this.head >= this.limit) return this.end();
    this.queue.push(event);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(finished);
    for (const then of this.onEnd.splice(0)) then();
  }

  next(): Promise<Next> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++];
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
        this.limit = this.bufferLimit;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.ended) return Promise.resolve(finished);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<Next> {
    this.end();
    this.queue = [];
    this.head = 0;
    return Promise.resolve(finished);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
