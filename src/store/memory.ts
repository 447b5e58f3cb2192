// The in-memory backend: the same semantics as SQLite without durability, for tests and `--store memory`.
// Current values live in a KeyIndex (lists walk it in key order); every write is appended to
// an event log that serves watch replay and `list at`, until compaction trims it.

import { KeyIndex, partitionPoint, rangeAt } from "./keyindex.js";
import { LoggedStore, applyWrite, listLimit } from "./loggedstore.js";
import type { Write } from "./loggedstore.js";
import { requestSizeError } from "./store.js";
import type { KeyValue, ListOptions, ListResult, Revision, Store, WatchEvent } from "./store.js";
import type { WatchHubOptions } from "./watch.js";
import { ownBytes } from "./ownbytes.js";

export interface MemoryStoreOptions {
  watch?: WatchHubOptions;
}

export class MemoryStore extends LoggedStore implements Store {
  private readonly values = new KeyIndex();
  private readonly events: WatchEvent[] = [];

  constructor(options: MemoryStoreOptions = {}) {
    super(options.watch);
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.values.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const at = this.listRevision(opts);
    const after = opts.after;
    // Values as of `at` for keys written since: the oldest newer write's "before" is the value at `at`.
    const changed = new Map<string, KeyValue | undefined>();
    for (let i = this.events.length - 1; i >= 0 && this.events[i].kv.modRevision > at; i--) {
      const { kv, prev } = this.events[i];
      if (kv.key.startsWith(prefix) && (after === undefined || kv.key > after)) changed.set(kv.key, prev);
    }
    return { ...rangeAt(this.values, prefix, after, listLimit(opts), changed), revision: at };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.values.count(prefix);
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    const tooLarge = requestSizeError(key, value);
    if (tooLarge) throw tooLarge;
    return this.commit({ op: "create", key, value: ownBytes(value) });
  }

  async update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue> {
    const tooLarge = requestSizeError(key, value);
    if (tooLarge) throw tooLarge;
    return this.commit({ op: "update", key, value: ownBytes(value), expect });
  }

  async delete(key: string, expect?: Revision): Promise<KeyValue> {
    return this.commit({ op: "delete", key, expect });
  }

  private commit(write: Write): KeyValue {
    this.checkOpen();
    const event = applyWrite(write, this.values.get(write.key), this.revision + 1);
    if (event instanceof Error) throw event;
    this.revision = event.kv.modRevision;
    if (event.type === "put") this.values.set(event.kv);
    else this.values.delete(event.kv.key);
    this.events.push(event);
    this.hub.publish([event]);
    return event.kv;
  }

  async compact(upTo: Revision): Promise<void> {
    if (this.raiseCompacted(upTo) === undefined) return;
    this.events.splice(0, this.eventIndexAfter(upTo));
  }

  async checkWritable(): Promise<void> {
    this.checkOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.hub.close();
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
    return partitionPoint(this.events, (event) => event.kv.modRevision <= revision);
  }
}
