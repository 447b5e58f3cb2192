// The read side of SqliteStore's SQL: schema, migrations and the queries it reads with, typed at this
// boundary so the store never handles untyped rows. The writes are in sqlitewriter.ts.
//
// Schema: one `log` table, a row per write (kine's shape). There is no table of current values: inserting into a
// second, key-indexed table cost three times the CPU per write, and the store serves current values from memory
// anyway. At open, the newest row of every key rebuilds them; compaction deletes superseded rows, so the log
// holds the live values plus the history since the compaction point.

import type Database from "better-sqlite3";
import type { KeyValue, Revision } from "./store.js";

const schemaVersion = 2;

/** A row of the log, with the value of the version it replaced (joined on prev_rev). */
export interface LogRow {
  rev: Revision;
  key: string;
  deleted: boolean;
  /** The written value; null for a delete. */
  value: Buffer | null;
  createRevision: Revision;
  /** The replaced version's revision; null when this write created the key. */
  prevRev: Revision | null;
  /** The replaced version's value (for a delete: the deleted value); null when nothing was replaced. */
  prevValue: Buffer | null;
}

type LogTuple = [
  rev: number,
  key: string,
  deleted: number,
  value: Buffer | null,
  createRevision: number,
  prevRev: number | null,
  prevValue: Buffer | null,
];

/** A KeyValue as read from SQLite: its bytes are a Buffer. */
export type StoredKeyValue = KeyValue & { value: Buffer };

const joined =
  "SELECT l.rev, l.key, l.deleted, l.value, l.create_rev, l.prev_rev, p.value FROM log l LEFT JOIN log p ON p.rev = l.prev_rev";

export class SqliteStatements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Creates the tables, or checks that an existing file has the schema this code reads. */
  static migrate(db: Database.Database): void {
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS log (
          rev INTEGER PRIMARY KEY,
          key TEXT NOT NULL,
          deleted INTEGER NOT NULL,
          value BLOB,
          create_rev INTEGER NOT NULL,
          prev_rev INTEGER
        );
        INSERT INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0) ON CONFLICT DO NOTHING;
      `);
      const row = db.prepare("SELECT value FROM meta WHERE name = 'schema'").pluck().get();
      if (row === undefined) db.prepare("INSERT INTO meta (name, value) VALUES ('schema', ?)").run(schemaVersion);
      else if (row !== schemaVersion) {
        throw new Error(`store schema version ${String(row)} is not supported (this stowage reads ${schemaVersion})`);
      }
    }).immediate();
  }

  private statement(sql: string): Database.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      statement.raw(true);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  readMeta(name: "revision" | "compacted"): number {
    const row = this.statement("SELECT value FROM meta WHERE name = ?").get(name) as [number] | undefined;
    return row?.[0] ?? 0;
  }

  /** The current value of every key: the newest row per key, unless that row is a delete. */
  latest(): StoredKeyValue[] {
    // Two passes, so superseded history is never loaded as Buffers: find the newest revisions, then read them.
    const newest = new Map<string, number>();
    for (const [rev, key, deleted] of this.statement(
      "SELECT rev, key, deleted FROM log ORDER BY rev",
    ).iterate() as IterableIterator<[number, string, number]>) {
      if (deleted) newest.delete(key);
      else newest.set(key, rev);
    }
    const read = this.statement("SELECT value, create_rev FROM log WHERE rev = ?");
    const out: StoredKeyValue[] = [];
    for (const [key, rev] of newest) {
      const [value, createRevision] = read.get(rev) as [Buffer, number];
      out.push({ key, value, createRevision, modRevision: rev });
    }
    return out;
  }

  /** Log rows for keys in [from or (from, end) newer than `after`, newest first (to undo them in order). */
  logSince(after: Revision, from: string, exclusive: boolean, end: string | undefined): LogRow[] {
    const sql =
      `${joined} WHERE l.rev > ? AND l.key ${exclusive ? ">" : ">="} ?` +
      (end === undefined ? "" : " AND l.key < ?") +
      " ORDER BY l.rev DESC";
    const params = end === undefined ? [after, from] : [after, from, end];
    return (this.statement(sql).all(...params) as LogTuple[]).map(logRowOf);
  }

  /** Log rows for keys under a prefix with after < rev <= upTo, oldest first. */
  events(prefix: string, end: string | undefined, after: Revision, upTo: Revision, limit: number): LogRow[] {
    const sql =
      `${joined} WHERE l.rev > ? AND l.rev <= ? AND l.key >= ?` +
      (end === undefined ? "" : " AND l.key < ?") +
      " ORDER BY l.rev LIMIT ?";
    const params = end === undefined ? [after, upTo, prefix, limit] : [after, upTo, prefix, end, limit];
    return (this.statement(sql).all(...params) as LogTuple[]).map(logRowOf);
  }
}

function logRowOf([rev, key, deleted, value, createRevision, prevRev, prevValue]: LogTuple): LogRow {
  return { rev, key, deleted: deleted === 1, value, createRevision, prevRev, prevValue };
}
