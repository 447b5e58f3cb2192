// The read side of SqliteStore's SQL: schema, migrations and the queries it reads with, typed at this
// boundary so the store never handles untyped rows. The writes are in sqlitewriter.ts.

import type Database from "better-sqlite3";
import type { KeyValue, Revision } from "./store.js";

const schemaVersion = 1;

/** One row of the write log: the write at `rev`, with the value it replaced (see sqlite.ts). */
export interface LogRow {
  rev: Revision;
  key: string;
  deleted: boolean;
  /** The new value; for a delete, the value that was deleted. */
  value: Buffer;
  createRevision: Revision;
  /** The replaced version's revision; null when this write created the key. */
  prevRev: Revision | null;
  /** The replaced value for an update; null for creates and deletes. */
  prevValue: Buffer | null;
}

type KvTuple = [key: string, value: Buffer, createRevision: number, modRevision: number];
type LogTuple = [
  rev: number,
  key: string,
  deleted: number,
  value: Buffer,
  createRevision: number,
  prevRev: number | null,
  prevValue: Buffer | null,
];

/** A KeyValue as read from SQLite: its bytes are a Buffer, which can be bound again as a BLOB. */
export type StoredKeyValue = KeyValue & { value: Buffer };

const logColumns = "rev, key, deleted, value, create_rev, prev_rev, prev_value";

export class SqliteStatements {
  private readonly cache = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  /** Creates or upgrades the tables; takes the write lock at once, so a second owner fails at open. */
  static migrate(db: Database.Database): void {
    db.transaction(() => {
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS kv (
          key TEXT PRIMARY KEY,
          value BLOB NOT NULL,
          create_rev INTEGER NOT NULL,
          mod_rev INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS log (
          rev INTEGER PRIMARY KEY,
          key TEXT NOT NULL,
          deleted INTEGER NOT NULL,
          value BLOB NOT NULL,
          create_rev INTEGER NOT NULL,
          prev_rev INTEGER,
          prev_value BLOB
        );
        INSERT INTO meta (name, value) VALUES ('revision', 0), ('compacted', 0) ON CONFLICT DO NOTHING;
      `);
      const row = db.prepare("SELECT value FROM meta WHERE name = 'schema'").pluck().get();
      if (row === undefined) db.prepare("INSERT INTO meta (name, value) VALUES ('schema', ?)").run(schemaVersion);
      else if (row !== schemaVersion) throw new Error(`store schema version ${String(row)} is not supported`);
    }).exclusive();
  }

  private statement(sql: string, raw = true): Database.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (raw && statement.reader) statement.raw(true);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  readMeta(name: "revision" | "compacted"): number {
    const value = this.statement("SELECT value FROM meta WHERE name = ?", false).pluck().get(name);
    return typeof value === "number" ? value : 0;
  }

  /** Current rows with key >= from (> from when exclusive) and < end, in key order; limit -1 for all. */
  range(from: string, exclusive: boolean, end: string | undefined, limit: number): StoredKeyValue[] {
    const sql =
      `SELECT key, value, create_rev, mod_rev FROM kv WHERE key ${exclusive ? ">" : ">="} ?` +
      (end === undefined ? "" : " AND key < ?") +
      " ORDER BY key LIMIT ?";
    const params = end === undefined ? [from, limit] : [from, end, limit];
    return (this.statement(sql).all(...params) as KvTuple[]).map(kvOf);
  }

  /** Log rows for keys in [from or (from, end) newer than `after`, newest first (to undo them in order). */
  logSince(after: Revision, from: string, exclusive: boolean, end: string | undefined): LogRow[] {
    const sql =
      `SELECT ${logColumns} FROM log WHERE rev > ? AND key ${exclusive ? ">" : ">="} ?` +
      (end === undefined ? "" : " AND key < ?") +
      " ORDER BY rev DESC";
    const params = end === undefined ? [after, from] : [after, from, end];
    return (this.statement(sql).all(...params) as LogTuple[]).map(logRowOf);
  }

  /** Log rows for keys under a prefix with after < rev <= upTo, oldest first. */
  events(prefix: string, end: string | undefined, after: Revision, upTo: Revision, limit: number): LogRow[] {
    const sql =
      `SELECT ${logColumns} FROM log WHERE rev > ? AND rev <= ? AND key >= ?` +
      (end === undefined ? "" : " AND key < ?") +
      " ORDER BY rev LIMIT ?";
    const params = end === undefined ? [after, upTo, prefix, limit] : [after, upTo, prefix, end, limit];
    return (this.statement(sql).all(...params) as LogTuple[]).map(logRowOf);
  }
}

function kvOf([key, value, createRevision, modRevision]: KvTuple): StoredKeyValue {
  return { key, value, createRevision, modRevision };
}

function logRowOf([rev, key, deleted, value, createRevision, prevRev, prevValue]: LogTuple): LogRow {
  return { rev, key, deleted: deleted === 1, value, createRevision, prevRev, prevValue };
}
