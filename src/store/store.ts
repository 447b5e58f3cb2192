// The store seam: a revisioned key-value store, the only thing the apiserver persists through.
// memory.ts, sqlite.ts (and later etcd.ts) implement it; all run the same conformance suite.
// It knows bytes and revisions, never Kubernetes objects.

export type Revision = number; // etcd's int64 mod_revision; exact below 2^53, which we will not reach

export interface KeyValue {
  key: string;
  value: Uint8Array;
  createRevision: Revision;
  modRevision: Revision;
}

export type WatchEvent = { type: "put" | "delete"; kv: KeyValue; prev?: KeyValue };

export interface ListOptions {
  /** At most this many items; `more` tells whether there were others. */
  limit?: number;
  /** Only keys strictly after this one (the continue token's position). */
  after?: string;
  /** Read as of this revision (consistent pagination); CompactedError when compacted away. */
  at?: Revision;
}

export interface Store {
  get(key: string): Promise<KeyValue | undefined>;
  list(prefix: string, opts?: ListOptions): Promise<{ items: KeyValue[]; revision: Revision; more: boolean }>;
  /** Count of keys under a prefix (for `remainingItemCount`). */
  count(prefix: string): Promise<number>;
  create(key: string, value: Uint8Array): Promise<KeyValue>; // KeyExistsError
  update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue>; // RevisionMismatchError, KeyNotFoundError
  delete(key: string, expect?: Revision): Promise<KeyValue>; // RevisionMismatchError, KeyNotFoundError
  /** Events after `from` (exclusive), in revision order, then live ones until the signal aborts. */
  watch(prefix: string, from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent>; // CompactedError
  currentRevision(): Promise<Revision>;
  compact(upTo: Revision): Promise<void>;
  close(): Promise<void>;
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
