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

/** One write, as the log and the kv table record it (see sqlite.ts for the meaning of each column). */
export interface WriteRow {
  op: "create" | "update" | "delete";
  key: string;
  /** The new value; for a delete, the value that was deleted. */
  value: Uint8Array;
  createRevision: number;
  revision: number;
  prevRevision: number | null;
  /** The replaced value, for updates only. */
  prevValue: Uint8Array | null;
}

export interface Writer {
  /** Writes the rows and the new revision counter in one transaction; throws (having written nothing) on failure. */
  commit(rows: WriteRow[], revision: number): void;
  setCompacted(upTo: number): void;
  /** Deletes up to `step` log rows at or below `upTo`; true when more remain. */
  trimLog(upTo: number, step: number): boolean;
}

export function createWriter(db: Database.Database): Writer {
  const insertKv = db.prepare("INSERT INTO kv (key, value, create_rev, mod_rev) VALUES (?, ?, ?, ?)");
  const updateKv = db.prepare("UPDATE kv SET value = ?, mod_rev = ? WHERE key = ?");
  const deleteKv = db.prepare("DELETE FROM kv WHERE key = ?");
  const appendLog = db.prepare(
    "INSERT INTO log (rev, key, deleted, value, create_rev, prev_rev, prev_value) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const setMeta = db.prepare("UPDATE meta SET value = ? WHERE name = ?");
  const trim = db.prepare("DELETE FROM log WHERE rev IN (SELECT rev FROM log WHERE rev <= ? ORDER BY rev LIMIT ?)");
  const commit = db.transaction((rows: WriteRow[], revision: number) => {
    for (const row of rows) {
      if (row.op === "create") insertKv.run(row.key, row.value, row.createRevision, row.revision);
      else if (row.op === "update") updateKv.run(row.value, row.revision, row.key);
      else deleteKv.run(row.key);
      const deleted = row.op === "delete" ? 1 : 0;
      appendLog.run(row.revision, row.key, deleted, row.value, row.createRevision, row.prevRevision, row.prevValue);
    }
    setMeta.run(revision, "revision");
  });
  return {
    commit: (rows, revision) => commit(rows, revision),
    setCompacted: (upTo) => void setMeta.run(upTo, "compacted"),
    trimLog: (upTo, step) => trim.run(upTo, step).changes === step,
  };
}

/** How the writer connection is tuned, in both modes. */
export function tuneWriter(db: Database.Database, synchronous: "full" | "normal"): void {
  db.pragma(`synchronous = ${synchronous === "normal" ? "NORMAL" : "FULL"}`);
}

export type WriterRequest =
  | { id: number; type: "commit"; rows: WriteRow[]; revision: number }
  | { id: number; type: "compact"; upTo: number; step: number }
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
      } else if (request.type === "compact") {
        writer.setCompacted(request.upTo);
        // In steps, letting commits that arrive meanwhile go first.
        const step = () => {
          try {
            if (writer.trimLog(request.upTo, request.step)) setImmediate(step);
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
