// The in-memory backend: the same semantics as SQLite without durability, for tests and `--store memory`.
// Current values live in a KeyIndex (lists walk it in key order); every write is appended to
// an event log that serves watch replay and `list at`, until compaction trims it.

import { KeyIndex, rangeAt } from "./keyindex.js";
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  StoreClosedError,
} from "./store.js";
import type { KeyValue, ListOptions, ListResult, Revision, Store, WatchEvent } from "./store.js";
import { WatchHub } from "./watch.js";
import type { EventLog, WatchHubOptions } from "./watch.js";

export interface MemoryStoreOptions {
  watch?: WatchHubOptions;
}

export class MemoryStore implements Store, EventLog {
  private readonly values = new KeyIndex();
  private readonly events: WatchEvent[] = [];
  private revision: Revision = 0;
  private compacted: Revision = 0;
  private closed = false;
  private readonly hub: WatchHub;

  constructor(options: MemoryStoreOptions = {}) {
    this.hub = new WatchHub(this, options.watch);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.values.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const at = opts.at ?? this.revision;
    if (at > this.revision) throw new FutureRevisionError(at, this.revision);
    if (at < this.compacted) throw new CompactedError(at, this.compacted);
    const after = opts.after;
    // Values as of `at` for keys written since: the oldest newer write's "before" is the value at `at`.
    const changed = new Map<string, KeyValue | undefined>();
    for (let i = this.events.length - 1; i >= 0 && this.events[i].kv.modRevision > at; i--) {
      const { kv, prev } = this.events[i];
      if (kv.key.startsWith(prefix) && (after === undefined || kv.key > after)) changed.set(kv.key, prev);
    }
    return { ...rangeAt(this.values, prefix, after, limit, changed), revision: at };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.values.count(prefix);
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    this.checkOpen();
    if (this.values.get(key)) throw new KeyExistsError(key);
    const revision = this.revision + 1;
    const kv: KeyValue = { key, value: value.slice(), createRevision: revision, modRevision: revision };
    return this.commit({ type: "put", kv }, kv);
  }

  async update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue> {
    this.checkOpen();
    const prev = this.values.get(key);
    if (!prev) throw new KeyNotFoundError(key);
    if (prev.modRevision !== expect) throw new RevisionMismatchError(key, expect, prev.modRevision);
    const revision = this.revision + 1;
    const kv: KeyValue = { key, value: value.slice(), createRevision: prev.createRevision, modRevision: revision };
    return this.commit({ type: "put", kv, prev }, kv);
  }

  async delete(key: string, expect?: Revision): Promise<KeyValue> {
    this.checkOpen();
    const prev = this.values.get(key);
    if (!prev) throw new KeyNotFoundError(key);
    if (expect !== undefined && prev.modRevision !== expect) {
      throw new RevisionMismatchError(key, expect, prev.modRevision);
    }
    const kv: KeyValue = { ...prev, modRevision: this.revision + 1 };
    return this.commit({ type: "delete", kv, prev }, kv);
  }

  private commit(event: WatchEvent, result: KeyValue): KeyValue {
    this.revision = event.kv.modRevision;
    if (event.type === "put") this.values.set(event.kv);
    else this.values.delete(event.kv.key);
    this.events.push(event);
    this.hub.publish([event]);
    return result;
  }

  watch(prefix: string, from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent> {
    return this.hub.watch(prefix, from, signal);
  }

  async currentRevision(): Promise<Revision> {
    this.checkOpen();
    return this.revision;
  }

  async compact(upTo: Revision): Promise<void> {
    this.checkOpen();
    if (upTo > this.revision) throw new FutureRevisionError(upTo, this.revision);
    if (upTo <= this.compacted) return;
    this.compacted = upTo;
    this.events.splice(0, this.eventIndexAfter(upTo));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.close();
  }

  // EventLog, for the watch hub.

  headRevision(): Revision {
    return this.revision;
  }

  compactedRevision(): Revision {
    return this.compacted;
  }

  readEvents(prefix: string, after: Revision, upTo: Revision, limit: number): WatchEvent[] {
    const out: WatchEvent[] = [];
    for (let i = this.eventIndexAfter(after); i < this.events.length && out.length < limit; i++) {
      const event = this.events[i];
      if (event.kv.modRevision > upTo) break;
      if (event.kv.key.startsWith(prefix)) out.push(event);
    }
    return out;
  }

  /** Index of the first logged event with a revision above `revision`. */
  private eventIndexAfter(revision: Revision): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid].kv.modRevision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}
