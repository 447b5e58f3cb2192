// The embedded default backend: SQLite in WAL mode through better-sqlite3.
//
// On disk: one `log` table, a row per write (see sqlitestatements.ts), and `meta` (revision counter, compaction
// point). A watch replays from the log from any retained revision; `list at` undoes newer rows.
//
// Reads never touch SQLite for current values: they come from an in-memory index (KeyIndex) rebuilt from the log
// at open and updated after each commit. The log is read (synchronously, on this thread's connection) only for watch
// replay and `list at`. Writes are checked against the index and numbered here, then committed as a batch:
// one batch in flight at a time, everything that arrives meanwhile forms the next one (group commit), so 32
// concurrent writers cost one commit and one fsync per batch, not per write, while each write keeps its own
// revision and its own success or error. Commits run in a worker thread on files (fsyncs and WAL checkpoints
// never stall the event loop), inline for ":memory:". Committed events go to watchers from memory (WatchHub).

import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { acquireLock } from "./filelock.js";
import { backupSqlite } from "./sqlitebackup.js";
import type { FileLock } from "./filelock.js";
import { KeyIndex, rangeAt } from "./keyindex.js";
import { prefixEnd } from "./keys.js";
import { InlineCommitter, WorkerCommitter } from "./sqlitecommitter.js";
import type { Committer } from "./sqlitecommitter.js";
import { SqliteStatements } from "./sqlitestatements.js";
import type { LogRow, StoredKeyValue } from "./sqlitestatements.js";
import type { WriteRow } from "./sqlitewriter.js";
import { LoggedStore, applyWrite, listLimit } from "./loggedstore.js";
import type { Write } from "./loggedstore.js";
import { requestSizeError, StoreClosedError } from "./store.js";
import type { KeyValue, ListOptions, ListResult, Revision, Store, WatchEvent } from "./store.js";
import type { WatchHubOptions } from "./watch.js";
import { ownBytes } from "./ownbytes.js";

export { StoreInUseError } from "./filelock.js";

export interface SqliteStoreOptions {
  /**
   * "full" (default): every commit is fsynced, so an acknowledged write survives power loss.
   * "normal": WAL commits are durable across a process crash but the last ones may be lost on power loss.
   */
  synchronous?: "full" | "normal";
  /** "worker" (default for files): commit in a worker thread. "inline": on this thread (always for ":memory:"). */
  writer?: "worker" | "inline";
  watch?: WatchHubOptions;
}

interface Pending {
  write: Write<Buffer>;
  resolve: (kv: KeyValue) => void;
  reject: (err: unknown) => void;
}

/** Log rows deleted per step of a compaction, so a large one never holds up commits for long. */
const compactStep = 10_000;

export class SqliteStore extends LoggedStore implements Store {
  private readonly sql: SqliteStatements;
  /** Current values, loaded at open and kept in step with every commit: reads never wait for SQLite. */
  private readonly current = new KeyIndex<StoredKeyValue>();
  private queue: Pending[] = [];
  private flushScheduled = false;
  private inflight: Promise<void> | undefined;
  private readonly compacting = new Set<Promise<void>>();
  /** Transactions committed and writes in them: group commit shows as writes/commits > 1 under load. */
  readonly stats = { commits: 0, writes: 0 };

  private constructor(
    private readonly db: Database.Database,
    private readonly committer: Committer,
    private readonly lock: FileLock | undefined,
    options: SqliteStoreOptions,
  ) {
    super(options.watch);
    this.sql = new SqliteStatements(db);
    this.revision = this.sql.readMeta("revision");
    this.compacted = this.sql.readMeta("compacted");
    for (const kv of this.sql.latest()) this.current.set(kv);
  }

  /** Opens (creating if needed) the store in `file`; ":memory:" for a throwaway one. */
  static open(file: string, options: SqliteStoreOptions = {}): SqliteStore {
    const inMemory = file === ":memory:" || file === "";
    if (!inMemory) mkdirSync(dirname(file), { recursive: true });
    // One process owns the file: another writer would bump revisions our watchers never see.
    const lock = inMemory ? undefined : acquireLock(`${file}.lock`, file);
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 10_000 });
      db.pragma("journal_mode = WAL");
      db.pragma("cache_size = -65536"); // 64 MiB of page cache for the log reads of replays and `list at`
      db.pragma("temp_store = MEMORY");
      SqliteStatements.migrate(db);
      const synchronous = options.synchronous ?? "full";
      const committer =
        inMemory || options.writer === "inline"
          ? new InlineCommitter(db, synchronous)
          : new WorkerCommitter(file, synchronous);
      try {
        return new SqliteStore(db, committer, lock, options);
      } catch (err) {
        void committer.close();
        throw err;
      }
    } catch (err) {
      db?.close();
      lock?.release();
      throw err;
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.checkOpen();
    return this.current.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const at = this.listRevision(opts);
    const after = opts.after !== undefined && opts.after >= prefix ? opts.after : undefined;
    // Values as of `at` for keys written since: the oldest newer write's "before" is the value at `at`. The log
    // may already hold the batch in flight (committed, not yet applied here); undoing it too changes nothing.
    // Synchronous from here on, so the index cannot change between reading the log and reading it.
    const changed = new Map<string, KeyValue | undefined>();
    if (at < this.revision) {
      for (const row of this.sql.logSince(at, after ?? prefix, after !== undefined, prefixEnd(prefix))) {
        changed.set(row.key, previousOf(row));
      }
    }
    return { ...rangeAt(this.current, prefix, after, listLimit(opts), changed), revision: at };
  }

  async count(prefix: string): Promise<number> {
    this.checkOpen();
    return this.current.count(prefix);
  }

  create(key: string, value: Uint8Array): Promise<KeyValue> {
    const tooLarge = requestSizeError(key, value);
    if (tooLarge) return Promise.reject(tooLarge);
    return this.enqueue({ op: "create", key, value: ownBytes(value) });
  }

  update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue> {
    const tooLarge = requestSizeError(key, value);
    if (tooLarge) return Promise.reject(tooLarge);
    return this.enqueue({ op: "update", key, value: ownBytes(value), expect });
  }

  delete(key: string, expect?: Revision): Promise<KeyValue> {
    return this.enqueue({ op: "delete", key, expect });
  }

  private enqueue(write: Write<Buffer>): Promise<KeyValue> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise<KeyValue>((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.flushScheduled && !this.inflight) {
        this.flushScheduled = true;
        // setImmediate, not a microtask: writes arriving in the same I/O phase (many HTTP requests) join the batch.
        setImmediate(() => this.flush());
      }
    });
  }

  /** Checks, numbers and sends every queued write as one batch; the next batch waits for this one. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.inflight || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    // Writes in this batch see the ones before them; the index only changes once the batch is committed.
    const written = new Map<string, StoredKeyValue | null>();
    const outcomes: (WatchEvent | Error)[] = [];
    const rows: WriteRow[] = [];
    let revision = this.revision;
    for (const { write } of batch) {
      const outcome = this.check(write, revision + 1, written, rows);
      if (!(outcome instanceof Error)) revision += 1; // a refused write takes no revision
      outcomes.push(outcome);
    }
    const settle = (failure?: unknown) => {
      batch.forEach((pending, i) => {
        const outcome = outcomes[i];
        if (outcome instanceof Error) pending.reject(outcome);
        else if (failure !== undefined) pending.reject(failure);
        else pending.resolve(outcome.kv);
      });
    };
    if (rows.length === 0) return settle();
    this.inflight = this.committer.commit(rows, revision).then(
      () => {
        for (const [key, kv] of written) {
          if (kv) this.current.set(kv);
          else this.current.delete(key);
        }
        this.revision = revision;
        this.stats.commits += 1;
        this.stats.writes += rows.length;
        this.hub.publish(outcomes.filter((o): o is WatchEvent => !(o instanceof Error)));
        settle();
        this.next();
      },
      (err: unknown) => {
        // The transaction rolled back as a whole (disk full, I/O error): nothing in the batch happened.
        settle(err);
        this.next();
      },
    );
  }

  private next(): void {
    this.inflight = undefined;
    if (this.queue.length > 0) this.flush(); // what arrived during the commit: the next batch, right away
  }

  /** One write of a batch: its event (rows appended), or the error refusing it. */
  private check(
    write: Write<Buffer>,
    revision: Revision,
    written: Map<string, StoredKeyValue | null>,
    rows: WriteRow[],
  ): WatchEvent | Error {
    const seen = written.get(write.key);
    const event = applyWrite(write, seen === undefined ? this.current.get(write.key) : (seen ?? undefined), revision);
    if (event instanceof Error) return event;
    const { kv, prev } = event;
    // A delete logs no value: replay finds the deleted value through prev_rev.
    const value = write.op === "delete" ? null : kv.value;
    rows.push({
      op: write.op,
      key: kv.key,
      value,
      createRevision: kv.createRevision,
      revision,
      prevRevision: prev?.modRevision ?? null,
    });
    written.set(kv.key, event.type === "put" ? kv : null);
    return event;
  }

  async compact(upTo: Revision): Promise<void> {
    const from = this.raiseCompacted(upTo);
    if (from === undefined) return;
    const compacting = this.committer.compact(from, upTo, compactStep);
    this.compacting.add(compacting);
    try {
      await compacting;
    } finally {
      this.compacting.delete(compacting);
    }
  }

  /** A consistent copy taken on this connection while the writer thread goes on (sqlitebackup.ts). */
  async backup(file: string): Promise<Revision> {
    this.checkOpen();
    return backupSqlite(this.db, file);
  }

  async checkWritable(): Promise<void> {
    this.checkOpen();
    await this.committer.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true; // refuse new work, but finish what was accepted
    while (this.inflight || this.queue.length > 0) {
      this.flush();
      await this.inflight;
    }
    this.hub.close();
    await Promise.allSettled(this.compacting); // its caller hears how it ended
    await this.committer.close();
    this.db.close();
    this.lock?.release();
  }

  readEvents(prefix: string, after: Revision, upTo: Revision, limit: number): WatchEvent[] {
    return this.sql.events(prefix, prefixEnd(prefix), after, upTo, limit).map(eventOf);
  }
}

function eventOf(row: LogRow): WatchEvent {
  const prev = previousOf(row);
  if (row.deleted) return { type: "delete", kv: { ...prev!, modRevision: row.rev }, prev };
  const kv: KeyValue = { key: row.key, value: row.value!, createRevision: row.createRevision, modRevision: row.rev };
  return prev ? { type: "put", kv, prev } : { type: "put", kv };
}

/** The key's value just before this logged write; undefined when the write created it. */
function previousOf(row: LogRow): KeyValue | undefined {
  if (row.prevRev === null) return undefined;
  // Compaction keeps every version a newer row replaced, so this only fails on a damaged file.
  if (row.prevValue === null) throw new Error(`store log is missing revision ${row.prevRev} (replaced at ${row.rev})`);
  return { key: row.key, value: row.prevValue, createRevision: row.createRevision, modRevision: row.prevRev };
}
