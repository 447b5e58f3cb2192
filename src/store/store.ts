// The store seam: a revisioned key-value store, the only thing the apiserver persists through.
// memory.ts, sqlite.ts (and later etcd.ts) implement it; all run the same conformance suite
// (testing/conformance.ts). It knows bytes and revisions, never Kubernetes objects.
//
// Revisions: one global counter; every successful write (create, update, delete) bumps it by exactly one and
// the written KeyValue's modRevision is that revision (the object's resourceVersion). Failed writes bump nothing.
// Values handed out (get, list, watch) are shared, read-only bytes: never mutate them.

export type Revision = number; // etcd's int64 mod_revision; exact below 2^53, which we will not reach

export interface KeyValue {
  key: string;
  value: Uint8Array;
  /** The revision of the create that started this key's current life (kept across updates). */
  createRevision: Revision;
  /** The revision of the last write to this key (for a delete event or delete(): the delete's revision). */
  modRevision: Revision;
}

/**
 * One committed write, as a watch delivers it.
 * - put of a new key: `kv` is the new value, no `prev`.
 * - put of an existing key: `kv` is the new value, `prev` the value it replaced.
 * - delete: `kv` is the last value with modRevision = the delete's revision (what Kubernetes sends as the
 *   deleted object's resourceVersion); `prev` is that last value as it was stored (its own modRevision).
 * Live events are the very same objects for every watcher of the store, so per-event work (decoding, encoding
 * the JSON watch frame) can be cached in a WeakMap keyed by the event and done once, not once per watcher.
 */
export type WatchEvent = { type: "put" | "delete"; kv: KeyValue; prev?: KeyValue };

/**
 * From a watch of a backend whose events come from elsewhere (etcd's progress notifications): every event of this
 * watch at or below `revision` has been delivered, so it is a sound bookmark. In-process backends never send it
 * (their currentRevision() is sound as a bookmark for an idle watch: see the apiserver's stream.ts).
 */
export type WatchProgress = { type: "progress"; revision: Revision };

export interface ListOptions {
  /** At most this many items; `more` tells whether there were others. */
  limit?: number;
  /** Only keys strictly after this one (the continue token's position). */
  after?: string;
  /**
   * Read as of this revision (consistent pagination); CompactedError when compacted away,
   * FutureRevisionError when beyond the current revision. The result's `revision` is then `at`.
   */
  at?: Revision;
}

export interface ListResult {
  /** In key order (byte order of the keys; keys are ASCII in practice). */
  items: KeyValue[];
  /** The revision this list reflects: the current revision, or `at` when given. */
  revision: Revision;
  /** True when keys under the prefix exist beyond the returned ones (after `limit`). */
  more: boolean;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  /** Count of keys under a prefix (for `remainingItemCount`). */
  count(prefix: string): Promise<number>;
  create(key: string, value: Uint8Array): Promise<KeyValue>; // KeyExistsError
  update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue>; // RevisionMismatchError, KeyNotFoundError
  /** Returns the deleted value with modRevision = the delete's revision. */
  delete(key: string, expect?: Revision): Promise<KeyValue>; // RevisionMismatchError, KeyNotFoundError
  /**
   * Events for keys under `prefix` after `from` (exclusive), in revision order, then live ones until the signal
   * aborts (the iteration then simply ends). `from` = currentRevision() means "only new events".
   * Errors surface from the iterator (the first next() for a compacted `from`), never from watch() itself:
   * - CompactedError: `from` is older than the compacted revision (the apiserver answers 410 Gone /
   *   "too old resource version"; Kubernetes sends it as an ERROR watch event).
   *   Also when the consumer fell so far behind that what it still has to receive was compacted meanwhile:
   *   a slow consumer never blocks writers (memory and SQLite buffer a bounded number of events per watcher,
   *   then catch it up from their log), and a hopelessly slow one gets the same 410 and re-lists.
   * - WatchTooSlowError (a CompactedError): for backends that cannot catch a watcher up from a log; same 410.
   */
  watch(prefix: string, from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent | WatchProgress>;
  /** True when watch() sends WatchProgress itself (etcd); bookmarks then must not use currentRevision(). */
  readonly reportsProgress?: boolean;
  /**
   * Asks the open watches of exactly this prefix for a progress notification soon (etcd's RequestProgress), so a
   * reader waiting for a watch to reach the current revision need not wait for the periodic one. Only backends
   * that report progress have it.
   */
  requestProgress?(prefix: string): void;
  /** The revision compacted up to, for backends that know it without a round trip (memory, SQLite). */
  compactedRevision?(): Revision;
  currentRevision(): Promise<Revision>;
  /**
   * Forget history at and before `upTo`: list `at` and watch `from` below it then fail with CompactedError.
   * Current values are never affected. Compacting to a revision already compacted is a no-op.
   */
  compact(upTo: Revision): Promise<void>; // FutureRevisionError
  /** Finishes queued writes, ends all watches, releases the backend. */
  close(): Promise<void>;
  /**
   * Resolves when the store can take a write now (its writer is alive and can lock the database), rejects with
   * why not: the apiserver's etcd health check (/livez, /readyz). Reads nothing, writes nothing.
   */
  checkWritable(): Promise<void>;
  /**
   * Writes a consistent copy of the whole store, taken while it serves, to `file` (which must not exist) and
   * returns the revision it holds: SQLite's own file format, or an etcd snapshot. The memory store has none.
   */
  backup?(file: string): Promise<Revision>;
}

export class KeyExistsError extends Error {
  constructor(readonly key: string) {
    super(`key ${key} already exists`);
  }
}

export class KeyNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`key ${key} not found`);
  }
}

export class RevisionMismatchError extends Error {
  constructor(
    readonly key: string,
    readonly expected: Revision,
    readonly actual: Revision,
  ) {
    super(`key ${key} is at revision ${actual}, not ${expected}`);
  }
}

/** A watch or read from a revision that compaction has removed; the apiserver answers 410 Gone. */
export class CompactedError extends Error {
  constructor(
    readonly requested: Revision,
    readonly compacted: Revision,
  ) {
    super(`revision ${requested} has been compacted (oldest available is ${compacted + 1})`);
  }
}

/**
 * A watcher whose consumer fell too far behind (its buffer filled up) was ended, so that a stuck client never
 * holds writers or memory hostage. (Memory and SQLite never send it: they catch slow watchers up from their
 * log and fail only with CompactedError; it is here for backends without a replayable log.) It extends CompactedError on purpose: the apiserver's 410 Gone mapping
 * ("too old resource version") applies unchanged, and the client re-lists and watches again, as client-go does.
 */
export class WatchTooSlowError extends CompactedError {
  constructor(
    /** The last revision delivered to the watcher. */
    readonly delivered: Revision,
    /** How many events were waiting when the watcher was ended. */
    readonly buffered: number,
  ) {
    super(delivered, delivered);
    this.message = `watcher fell behind by ${buffered} events after revision ${delivered} and was ended; re-list`;
  }
}

/** A read or compaction at a revision the store has not reached yet. */
export class FutureRevisionError extends Error {
  constructor(
    readonly requested: Revision,
    readonly current: Revision,
  ) {
    super(`revision ${requested} is in the future (current revision is ${current})`);
  }
}

/** etcd's default --max-request-bytes: no write of a key and value larger than this is accepted. */
export const maxRequestBytes = 1.5 * 1024 * 1024;

/**
 * A create or update whose key and value together exceed maxRequestBytes, refused before anything is written
 * (etcd's ErrRequestTooLarge, with its text: the apiserver passes it on as upstream does).
 */
export class RequestTooLargeError extends Error {
  constructor(
    readonly key: string,
    readonly size: number,
  ) {
    super("etcdserver: request is too large");
  }
}

/** The write's size checked as etcd checks a request; every backend asks before it writes. */
export function requestSizeError(key: string, value: Uint8Array): RequestTooLargeError | undefined {
  const size = Buffer.byteLength(key) + value.byteLength;
  return size > maxRequestBytes ? new RequestTooLargeError(key, size) : undefined;
}

/** Any operation on a store after close(). */
export class StoreClosedError extends Error {
  constructor() {
    super("store is closed");
  }
}
