// The write side of SqliteStore: one transaction per batch of writes already checked and numbered by the store.
// It runs either on the caller's connection (":memory:", or `writer: "inline"`) or in a worker thread, so that
// commits, fsyncs and WAL checkpoints never stall the event loop that serves requests and watches.
//
// Why the odd shape: a worker cannot load our TypeScript when tests run it through tsx (Node 20 does not apply
// the loader to worker entry points), so the worker is started from source text: `writerMain` and
// `createWriter` are sent to it with Function.prototype.toString. They must stay self-contained: no imports,
// no names from outside their own bodies (types are fine, they are erased).

import { Worker } from "node:worker_threads";
import { createRequire } from "node:module";
import type Database from "better-sqlite3";

/** One write, as its log row records it (see sqlitestatements.ts for the schema). */
export interface WriteRow {
  op: "create" | "update" | "delete";
  key: string;
  /** The new value; null for a delete (the deleted value is the replaced version's). */
  value: Uint8Array | null;
  createRevision: number;
  revision: number;
  /** The replaced version's revision; null for a create. */
  prevRevision: number | null;
}

export interface Writer {
  /** Appends the rows and the new revision counter in one transaction; throws (having written nothing) on failure. */
  commit(rows: WriteRow[], revision: number): void;
  setCompacted(upTo: number): void;
  /**
   * The log rows a compaction from `from` to `upTo` removes, oldest first: deletes at or below `upTo`, and every
   * version replaced at or below it. Removing them oldest first keeps a crash midway safe: a delete row outlives
   * the version it deleted, so that key never comes back at the next open.
   */
  superseded(from: number, upTo: number): number[];
  /** Deletes the given log rows in one transaction. */
  remove(revisions: number[]): void;
  /** Takes the write lock (BEGIN IMMEDIATE) and rolls back: throws if a commit could not start now. */
  ping(): void;
}

export function createWriter(db: Database.Database): Writer {
  const append = db.prepare(
    "INSERT INTO log (rev, key, deleted, value, create_rev, prev_rev) VALUES (?, ?, ?, ?, ?, ?)",
  );
  const setMeta = db.prepare("UPDATE meta SET value = ? WHERE name = ?");
  const scan = db.prepare("SELECT rev, deleted, prev_rev FROM log WHERE rev > ? AND rev <= ? ORDER BY rev").raw(true);
  const removeRow = db.prepare("DELETE FROM log WHERE rev = ?");
  const commit = db.transaction((rows: WriteRow[], revision: number) => {
    for (const row of rows) {
      const deleted = row.op === "delete" ? 1 : 0;
      append.run(row.revision, row.key, deleted, row.value, row.createRevision, row.prevRevision);
    }
    setMeta.run(revision, "revision");
  });
  const remove = db.transaction((revisions: number[]) => {
    for (const revision of revisions) removeRow.run(revision);
  });
  const begin = db.prepare("BEGIN IMMEDIATE");
  const rollback = db.prepare("ROLLBACK");
  return {
    commit: (rows, revision) => commit(rows, revision),
    setCompacted: (upTo) => void setMeta.run(upTo, "compacted"),
    superseded: (from, upTo) => {
      const out: number[] = [];
      for (const [rev, deleted, prevRev] of scan.iterate(from, upTo) as IterableIterator<
        [number, number, number | null]
      >) {
        if (prevRev !== null) out.push(prevRev);
        if (deleted === 1) out.push(rev);
      }
      return out.sort((a, b) => a - b);
    },
    remove: (revisions) => remove(revisions),
    ping: () => {
      begin.run();
      rollback.run();
    },
  };
}

/** How the writer connection is tuned, in both modes. */
export function tuneWriter(db: Database.Database, synchronous: "full" | "normal"): void {
  db.pragma(`synchronous = ${synchronous === "normal" ? "NORMAL" : "FULL"}`);
}

export type WriterRequest =
  | { id: number; type: "commit"; rows: WriteRow[]; revision: number }
  | { id: number; type: "compact"; from: number; upTo: number; step: number }
  | { id: number; type: "ping" }
  | { id: number; type: "close" };
export type WriterReply = { id: number; error?: string };

interface WorkerPort {
  on(event: "message", listener: (request: WriterRequest) => void): void;
  postMessage(reply: WriterReply): void;
  close(): void;
}
interface WorkerData {
  sqlitePath: string;
  file: string;
  synchronous: "full" | "normal";
}

/** The worker's program. Runs inside the worker: self-contained, see the top of this file. */
function writerMain(
  port: WorkerPort,
  data: WorkerData,
  open: (file: string) => Database.Database,
  create: typeof createWriter,
  tune: typeof tuneWriter,
): void {
  const db = open(data.file);
  tune(db, data.synchronous);
  const writer = create(db);
  const fail = (id: number, err: unknown) =>
    port.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  port.on("message", (request) => {
    try {
      if (request.type === "commit") {
        writer.commit(request.rows, request.revision);
        port.postMessage({ id: request.id });
      } else if (request.type === "ping") {
        writer.ping();
        port.postMessage({ id: request.id });
      } else if (request.type === "compact") {
        writer.setCompacted(request.upTo);
        const revisions = writer.superseded(request.from, request.upTo);
        // In steps, letting commits that arrive meanwhile go first.
        let done = 0;
        const step = () => {
          try {
            writer.remove(revisions.slice(done, done + request.step));
            done += request.step;
            if (done < revisions.length) setImmediate(step);
            else port.postMessage({ id: request.id });
          } catch (err) {
            fail(request.id, err);
          }
        };
        step();
      } else {
        db.close();
        port.postMessage({ id: request.id });
        port.close();
      }
    } catch (err) {
      fail(request.id, err);
    }
  });
}

/** Starts a writer worker on `file` (an existing, migrated database). */
export function startWriterWorker(file: string, synchronous: "full" | "normal"): Worker {
  const sqlitePath = createRequire(import.meta.url).resolve("better-sqlite3");
  const source = [
    // tsx compiles named functions with an esbuild helper; give the worker a harmless one.
    "const __name = (target) => target;",
    'const { parentPort, workerData } = require("node:worker_threads");',
    "const Database = require(workerData.sqlitePath);",
    `(${writerMain.toString()})(parentPort, workerData, (file) => new Database(file, { timeout: 10000 }),` +
      ` ${createWriter.toString()}, ${tuneWriter.toString()});`,
  ].join("\n");
  const data: WorkerData = { sqlitePath, file, synchronous };
  return new Worker(source, { eval: true, workerData: data });
}
