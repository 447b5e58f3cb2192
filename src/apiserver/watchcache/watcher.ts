// One watch served from the cache (upstream's cacheWatcher): the cache offers it every event, it keeps those in
// its namespace and selection, and its consumer (the watch stream) reads them in order. A consumer that falls
// too far behind is ended, as upstream ends a watcher whose buffer stays full: the client watches again from the
// last resourceVersion it saw.
import type { ResourceDefinition } from "../../api/resource.js";
import type { KeyValue } from "../../store/store.js";
import { matches, selectsEverything, type Selection } from "../registry/select.js";
import type { RegistryWatchEvent } from "../registry/watch.js";
import { objectOf } from "./encoded.js";
import type { CachedEvent } from "./event.js";

export interface WatcherFilter {
  def: ResourceDefinition;
  /** Keys under this prefix only (the resource, or one namespace of it). */
  prefix: string;
  selection: Selection;
}

export class CacheWatcher implements AsyncIterable<RegistryWatchEvent> {
  private queue: RegistryWatchEvent[] = [];
  private head = 0;
  private wake?: () => void;
  private ended = false;
  private readonly selective: boolean;

  constructor(
    private readonly filter: WatcherFilter,
    /** Events buffered for a consumer that stopped reading before the watch is ended. */
    private readonly bufferLimit: number,
    private readonly onEnd: (watcher: CacheWatcher) => void,
  ) {
    this.selective = !selectsEverything(filter.selection);
  }

  /** Whether the object stored as `kv` is one this watch is about. */
  wants(kv: KeyValue): boolean {
    if (!kv.key.startsWith(this.filter.prefix)) return false;
    return !this.selective || matches(this.filter.def, this.filter.selection, objectOf(kv));
  }

  offer(event: CachedEvent): void {
    if (this.ended || !event.key.startsWith(this.filter.prefix)) return;
    if (!this.selective) return this.push(event.plain());
    const before = event.previous ? this.wants(event.previous) : false;
    const now = event.current ? this.wants(event.current) : false;
    const sent = event.selected(before, now);
    if (sent) this.push(sent);
  }

  push(event: RegistryWatchEvent): void {
    if (this.ended) return;
    if (this.queue.length - this.head >= this.bufferLimit) return this.end();
    this.queue.push(event);
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
    this.onEnd(this);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RegistryWatchEvent> {
    try {
      while (true) {
        if (this.head < this.queue.length) {
          const event = this.queue[this.head++];
          if (this.head === this.queue.length) {
            this.queue = [];
            this.head = 0;
          }
          yield event;
          continue;
        }
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      this.end();
    }
  }
}
