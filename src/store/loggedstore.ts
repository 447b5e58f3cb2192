// What the in-process backends (memory, SQLite) share: each keeps its current values in a KeyIndex and every
// write in an event log, numbered by one revision counter. The rules that follow from that live here once: a
// write's preconditions and the event it makes, which revisions a list or a compaction may name, and watches
// served from the log by the WatchHub. How values and the log are kept (an array, SQLite rows) is the backend's.

import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  StoreClosedError,
} from "./store.js";
import type { KeyValue, ListOptions, Revision, WatchEvent } from "./store.js";
import { WatchHub } from "./watch.js";
import type { EventLog, WatchHubOptions } from "./watch.js";

/** A write as Store's create, update and delete ask for it; `V` is the backend's own copy of the bytes. */
export type Write<V extends Uint8Array = Uint8Array> =
  | { op: "create"; key: string; value: V }
  | { op: "update"; key: string; value: V; expect: Revision }
  | { op: "delete"; key: string; expect?: Revision };

/** A committed write whose values are the backend's own kind of KeyValue. */
export type WriteEvent<KV extends KeyValue> = { type: "put" | "delete"; kv: KV; prev?: KV };

/**
 * The event `write` makes at `revision` against the key's current value `prev`, or the error refusing it (the
 * caller throws or reports it; a refused write takes no revision). A delete's `kv` is the last value with the
 * delete's revision, as Kubernetes reports a deleted object's resourceVersion.
 */
export function applyWrite<V extends Uint8Array, KV extends KeyValue & { value: V }>(
  write: Write<V>,
  prev: KV | undefined,
  revision: Revision,
): WriteEvent<KV> | Error {
  const { key } = write;
  if (write.op === "create") {
    if (prev) return new KeyExistsError(key);
    return { type: "put", kv: { key, value: write.value, createRevision: revision, modRevision: revision } as KV };
  }
  if (!prev) return new KeyNotFoundError(key);
  if (write.expect !== undefined && write.expect !== prev.modRevision) {
    return new RevisionMismatchError(key, write.expect, prev.modRevision);
  }
  if (write.op === "update") {
    const kv = { key, value: write.value, createRevision: prev.createRevision, modRevision: revision } as KV;
    return { type: "put", kv, prev };
  }
  return { type: "delete", kv: { ...prev, modRevision: revision }, prev };
}

/**
 * The revision counter, the compaction point and the watch hub of a backend that keeps an event log. Backends
 * move `revision` after each commit (then publish to `hub`) and implement `readEvents` for watch replay.
 */
export abstract class LoggedStore implements EventLog {
  protected revision: Revision = 0;
  protected compacted: Revision = 0;
  protected closed = false;
  protected readonly hub: WatchHub;

  constructor(watch: WatchHubOptions | undefined) {
    this.hub = new WatchHub(this, watch);
  }

  watch(prefix: string, from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent> {
    return this.hub.watch(prefix, from, signal);
  }

  async currentRevision(): Promise<Revision> {
    this.checkOpen();
    return this.revision;
  }

  // EventLog, for the watch hub (synchronous by design: see watch.ts).

  headRevision(): Revision {
    return this.revision;
  }

  compactedRevision(): Revision {
    return this.compacted;
  }

  abstract readEvents(prefix: string, after: Revision, upTo: Revision, limit: number): WatchEvent[];

  /** The revision a list reads at: `at` when given, else the current one; never a future or compacted one. */
  protected listRevision(opts: ListOptions): Revision {
    this.checkOpen();
    const at = opts.at ?? this.revision;
    if (at > this.revision) throw new FutureRevisionError(at, this.revision);
    if (at < this.compacted) throw new CompactedError(at, this.compacted);
    return at;
  }

  /**
   * Raises the compaction point to `upTo` and returns the one before it, or undefined when there is nothing new
   * to compact. Readers check the compaction point before touching the log, so it is raised before any trimming.
   */
  protected raiseCompacted(upTo: Revision): Revision | undefined {
    this.checkOpen();
    if (upTo > this.revision) throw new FutureRevisionError(upTo, this.revision);
    if (upTo <= this.compacted) return undefined;
    const from = this.compacted;
    this.compacted = upTo;
    return from;
  }

  protected checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

/** At most `limit` items, where 0, a negative or no limit means all of them. */
export function listLimit(opts: ListOptions): number {
  return opts.limit && opts.limit > 0 ? opts.limit : Infinity;
}
