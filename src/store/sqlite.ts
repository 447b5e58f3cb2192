// The embedded default backend: SQLite in WAL mode through better-sqlite3 (synchronous, in-process).
//
// Tables: `kv` holds current values (get/list/count read it directly); `log` holds every write, with the value
// it replaced inline, so a watch can replay from any retained revision and `list at` can undo newer writes,
// without ever needing rows older than the compaction point; `meta` holds the revision counter and the
// compaction point. Writes are queued and committed together, one transaction per event-loop turn (group
// commit): 32 concurrent writers cost one commit (one fsync) per batch, not per write, while each write still
// gets its own revision and its own success or error. Committed events go to watchers from memory (WatchHub),
// never by re-reading SQLite per watcher.

import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { KeyIndex, rangeAt } from "./keyindex.js";
import { prefixEnd } from "./keys.js";
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  StoreClosedError,
} from "./store.js";
import type { KeyValue, ListOptions, ListResult, Revision, Store, WatchEvent } from "./store.js";
import { SqliteStatements } from "./sqlitestatements.js";
import type { LogRow, StoredKeyValue } from "./sqlitestatements.js";
import { WatchHub } from "./watch.js";
import type { EventLog, WatchHubOptions } from "./watch.js";

export interface SqliteStoreOptions {
  /**
   * "full" (default): every commit is fsynced, so an acknowledged write survives power loss.
   * "normal": WAL commits are durable across a process crash but the last ones may be lost on power loss.
   */
  synchronous?: "full" | "normal";
  watch?: WatchHubOptions;
}

/** Another process (or another SqliteStore in this one) holds the database file. */
export class StoreInUseError extends Error {
  constructor(readonly file: string) {
    super(`store ${file} is in use by another stowage process (SQLite lock held); stop it first`);
  }
}

type Write =
  | { op: "create"; key: string; value: Buffer }
  | { op: "update"; key: string; value: Buffer; expect: Revision }
  | { op: "delete"; key: string; expect?: Revision };

interface Pending {
  write: Write;
  resolve: (kv: KeyValue) => void;
  reject: (err: unknown) => void;
}

/** Rows deleted per step of a compaction, so a large compaction never stalls the event loop for long. */
const compactStep = 10_000;

export class SqliteStore implements Store, EventLog {
  private readonly sql: SqliteStatements;
  private readonly hub: WatchHub;
  /** Current values, loaded at open and kept in step with every commit: reads never wait for SQLite. */
  private readonly current = new KeyIndex<StoredKeyValue>();
  private revision: Revision;
  private compacted: Revision;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  /** Transactions committed and writes in them: group commit shows as writes/commits > 1 under load. */
  readonly stats = { commits: 0, writes: 0 };

  private constructor(
    private readonly db: Database.Database,
    options: SqliteStoreOptions,
  ) {
    this.sql = new SqliteStatements(db);
    this.revision = this.sql.readMeta("revision");
    this.compacted = this.sql.readMeta("compacted");
    for (const kv of this.sql.range("", false, undefined, -1)) this.current.set(kv);
    this.hub = new WatchHub(this, options.watch);
  }

  /** Opens (creating if needed) the store in `file`; ":memory:" for a throwaway one. */
  static open(file: string, options: SqliteStoreOptions = {}): SqliteStore {
    if (file !== ":memory:" && file !== "") mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file, { timeout: 200 });
    try {
      // One process owns the file: another writer would bump revisions our watchers never see.
      // EXCLUSIVE locking also lets WAL work without the shared-memory index.
      db.pragma("locking_mode = EXCLUSIVE");
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
      db.pragma("cache_size = -65536"); // 64 MiB of page cache: lists of 10,000 objects stay in memory
      db.pragma("temp_store = MEMORY");
      SqliteStatements.migrate(db);
      return new SqliteStore(db, options);
    } catch (err) {
      db.close();
      if (err instanceof Database.SqliteError && err.code.startsWith("SQLITE_BUSY")) throw new StoreInUseError(file);
      throw err;
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.current.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.checkOpen();
    const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;
    const at = opts.at ?? this.revision;
    if (at > this.revision) throw new FutureRevisionError(at, this.revision);
    if (at < this.compacted) throw new CompactedError(at, this.compacted);
    const after = opts.after !== undefined && opts.after >= prefix ? opts.after : undefined;
    // Values as of `at` for keys written since: the oldest newer write's "before" is the value at `at`.
    // Synchronous from here on, so no commit can land between reading the log and the current values.
    const changed = new Map<string, KeyValue | undefined>();
    if (at < this.revision) {
      for (const row of this.sql.logSince(at, after ?? prefix, after !== undefined, prefixEnd(prefix))) {
        changed.set(row.key, previousOf(row));
      }
    }
    return { ...rangeAt(this.current, prefix, after, limit, changed), revision: at };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.current.count(prefix);
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.enqueue({ op: "create", key, value: Buffer.from(value) });
  }

  update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue> {
    return this.enqueue({ op: "update", key, value: Buffer.from(value), expect });
  }

  delete(key: string, expect?: Revision): Promise<KeyValue> {
    return this.enqueue({ op: "delete", key, expect });
  }

  private enqueue(write: Write): Promise<KeyValue> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<KeyValue>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate, not a microtask: writes arriving in the same I/O phase (many HTTP requests) join the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued write in one transaction, then tells watchers and callers. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const results: (KeyValue | Error)[] = [];
    const events: WatchEvent[] = [];
    let revision = this.revision;
    // Writes in this batch see the ones before them; the index only changes once the batch is committed.
    const written = new Map<string, StoredKeyValue | null>();
    try {
      this.sql.transaction(() => {
        for (const { write } of batch) {
          const outcome = this.apply(write, revision + 1, written);
          if (outcome instanceof Error) {
            results.push(outcome); // a refused write changed nothing and takes no revision
          } else {
            revision += 1;
            events.push(outcome);
            results.push(outcome.kv);
          }
        }
        if (revision !== this.revision) this.sql.writeMeta("revision", revision);
      });
    } catch (err) {
      // The transaction rolled back as a whole (disk full, I/O error): nothing in the batch happened.
      for (const pending of batch) pending.reject(err);
      return;
    }
    for (const [key, kv] of written) {
      if (kv) this.current.set(kv);
      else this.current.delete(key);
    }
    this.revision = revision;
    this.stats.commits += 1;
    this.stats.writes += batch.length;
    this.hub.publish(events);
    batch.forEach((pending, i) => {
      const result = results[i];
      if (result instanceof Error) pending.reject(result);
      else pending.resolve(result);
    });
  }

  /** One write inside the batch's transaction: its event, or the error refusing it (having written nothing). */
  private apply(write: Write, revision: Revision, written: Map<string, StoredKeyValue | null>): WatchEvent | Error {
    const { key } = write;
    const seen = written.get(key);
    const prev = seen === undefined ? this.current.get(key) : (seen ?? undefined);
    if (write.op === "create") {
      if (prev) return new KeyExistsError(key);
      const kv: StoredKeyValue = { key, value: write.value, createRevision: revision, modRevision: revision };
      this.sql.insert(kv);
      this.sql.appendLog(revision, key, false, write.value, revision, null, null);
      written.set(key, kv);
      return { type: "put", kv };
    }
    if (!prev) return new KeyNotFoundError(key);
    if (write.expect !== undefined && write.expect !== prev.modRevision) {
      return new RevisionMismatchError(key, write.expect, prev.modRevision);
    }
    if (write.op === "update") {
      const kv: StoredKeyValue = {
        key,
        value: write.value,
        createRevision: prev.createRevision,
        modRevision: revision,
      };
      this.sql.replace(kv);
      this.sql.appendLog(revision, key, false, write.value, prev.createRevision, prev.modRevision, prev.value);
      written.set(key, kv);
      return { type: "put", kv, prev };
    }
    this.sql.remove(key);
    // The deleted value is logged once, as the row's value; the event's prev is rebuilt from it.
    this.sql.appendLog(revision, key, true, prev.value, prev.createRevision, prev.modRevision, null);
    written.set(key, null);
    return { type: "delete", kv: { ...prev, modRevision: revision }, prev };
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
    const oldest = this.compacted;
    // Readers check the compaction point before touching the log, so raise it first, then trim in steps.
    this.compacted = upTo;
    this.sql.writeMeta("compacted", upTo);
    for (let from = oldest; from < upTo && !this.closed; from += compactStep) {
      this.sql.trimLog(Math.min(from + compactStep, upTo));
      if (from + compactStep < upTo) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush(); // acknowledge what was already accepted
    this.closed = true;
    this.hub.close();
    this.db.close();
  }

  // EventLog, for the watch hub (synchronous by design: see watch.ts).

  headRevision(): Revision {
    return this.revision;
  }

  compactedRevision(): Revision {
    return this.compacted;
  }

  readEvents(prefix: string, after: Revision, upTo: Revision, limit: number): WatchEvent[] {
    return this.sql.events(prefix, prefixEnd(prefix), after, upTo, limit).map(eventOf);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }
}

function eventOf(row: LogRow): WatchEvent {
  const kv: KeyValue = { key: row.key, value: row.value, createRevision: row.createRevision, modRevision: row.rev };
  const prev = previousOf(row);
  return prev ? { type: row.deleted ? "delete" : "put", kv, prev } : { type: "put", kv };
}

/** The key's value just before this logged write; undefined when the write created it. */
function previousOf(row: LogRow): KeyValue | undefined {
  if (row.prevRev === null) return undefined;
  const value = row.deleted ? row.value : row.prevValue;
  if (value === null) return undefined;
  return { key: row.key, value, createRevision: row.createRevision, modRevision: row.prevRev };
}
