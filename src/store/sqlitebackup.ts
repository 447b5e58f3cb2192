// A control-plane backup of the SQLite store, and bringing one back.
//
// Backup is `VACUUM INTO` on a connection of the store's owner, never a second process opening the file to
// write: it reads inside one read transaction, so in WAL mode it sees exactly the commits before it began and
// never blocks the writer thread (SQLite's page-copying backup API restarts whenever another connection writes,
// which under steady writes may never finish). The copy is one compact file, WAL folded in.
//
// Restore is etcd's `etcdutl snapshot restore --bump-revision N --mark-compacted`: the copy's revision counter is
// raised by N and everything before is compacted, so a client that watched the old store (and may hold a
// resourceVersion newer than the backup) is told its revision is gone (410) and relists, and no resourceVersion
// the old store handed out is ever handed out again for another write.

import Database from "better-sqlite3";
import { copyFileSync, existsSync, openSync, readSync, closeSync, renameSync, rmSync } from "node:fs";
import { SqliteStatements } from "./sqlitestatements.js";
import { createWriter } from "./sqlitewriter.js";
import type { Revision } from "./store.js";

/** etcd's advice for --bump-revision: more than the writes the old store could have taken since the backup. */
export const defaultBumpRevision = 1_000_000_000;

/** The first 16 bytes of every SQLite database file. */
const sqliteHeader = Buffer.from("SQLite format 3\0", "latin1");

export class BackupFileError extends Error {}

/** Copies the database `db` is connected to into `file` as of one instant; returns the revision it holds. */
export function backupSqlite(db: Database.Database, file: string): Revision {
  if (existsSync(file)) throw new BackupFileError(`${file} already exists`);
  db.prepare("VACUUM INTO ?").run(file);
  const copy = new Database(file, { readonly: true });
  try {
    return new SqliteStatements(copy).readMeta("revision");
  } finally {
    copy.close();
  }
}

/** True when the file starts as every SQLite database does (an etcd snapshot is a bbolt file). */
export function isSqliteFile(file: string): boolean {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(sqliteHeader.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(sqliteHeader);
  } finally {
    closeSync(fd);
  }
}

export interface RestoredStore {
  /** The revision the backup was taken at. */
  backupRevision: Revision;
  /** The restored store's revision (and compaction point): backupRevision + bump. */
  revision: Revision;
  /** Keys it holds. */
  keys: number;
}

/**
 * Makes `to` (which must not exist) a store holding the backup `from`, its revision raised by `bump` and the
 * history up to there compacted. Written beside `to` and renamed: an interrupted restore leaves no half store.
 */
export function restoreSqlite(from: string, to: string, bump: number = defaultBumpRevision): RestoredStore {
  if (!Number.isSafeInteger(bump) || bump < 1) throw new BackupFileError(`bump ${bump} must be a positive integer`);
  if (existsSync(to)) throw new BackupFileError(`${to} already exists: restore into a new data directory`);
  if (!isSqliteFile(from)) throw new BackupFileError(`${from} is not a stowage SQLite backup`);
  const partial = `${to}.restoring`;
  rmSync(partial, { force: true });
  copyFileSync(from, partial);
  try {
    const db = new Database(partial);
    try {
      const restored = raiseRevision(db, bump);
      db.pragma("journal_mode = DELETE"); // one self-contained file to rename; the store turns WAL on at open
      db.close();
      renameSync(partial, to);
      return restored;
    } finally {
      if (db.open) db.close();
    }
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}

function raiseRevision(db: Database.Database, bump: number): RestoredStore {
  const integrity = db.pragma("integrity_check", { simple: true });
  if (integrity !== "ok") throw new BackupFileError(`the backup is damaged: ${String(integrity)}`);
  SqliteStatements.migrate(db); // refuses a file of another schema version
  const statements = new SqliteStatements(db);
  const backupRevision = statements.readMeta("revision");
  const compacted = statements.readMeta("compacted");
  const revision = backupRevision + bump;
  if (!Number.isSafeInteger(revision)) throw new BackupFileError(`revision ${revision} is past 2^53`);
  const writer = createWriter(db);
  db.transaction(() => {
    // What compaction to the backup's revision removes: nothing before the new compaction point is ever read.
    writer.remove(writer.superseded(compacted, backupRevision));
    writer.commit([], revision);
    writer.setCompacted(revision);
  })();
  return { backupRevision, revision, keys: statements.latest().length };
}
