// Where SqliteStore's batches are committed: inline on its own connection, or in a writer worker thread.
// Either way the store sends one batch at a time and waits for it (group commit: what arrives meanwhile
// forms the next batch), so a failed batch never has later batches built on top of it.

import type { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { createWriter, startWriterWorker, tuneWriter } from "./sqlitewriter.js";
import type { WriteRow, WriterReply, WriterRequest } from "./sqlitewriter.js";

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

export interface Committer {
  commit(rows: WriteRow[], revision: number): Promise<void>;
  /** Records the compaction point `upTo`, then trims the log written since `from` in steps of `step` rows. */
  compact(from: number, upTo: number, step: number): Promise<void>;
  close(): Promise<void>;
  /** Takes the database's write lock and gives it back: resolves if a commit could start now. */
  ping(): Promise<void>;
}

/** A batch that SQLite refused as a whole (I/O error, disk full): none of its writes happened. */
export class CommitError extends Error {}

/** Commits on the store's own connection: for ":memory:" databases, which a second connection cannot see. */
export class InlineCommitter implements Committer {
  private readonly writer;

  constructor(db: Database.Database, synchronous: "full" | "normal") {
    tuneWriter(db, synchronous);
    this.writer = createWriter(db);
  }

  async commit(rows: WriteRow[], revision: number): Promise<void> {
    this.writer.commit(rows, revision);
  }

  async compact(from: number, upTo: number, step: number): Promise<void> {
    this.writer.setCompacted(upTo);
    const revisions = this.writer.superseded(from, upTo);
    for (let done = 0; done < revisions.length; done += step) {
      if (done > 0) await new Promise((resolve) => setImmediate(resolve));
      this.writer.remove(revisions.slice(done, done + step));
    }
  }

  async ping(): Promise<void> {
    this.writer.ping();
  }

  async close(): Promise<void> {}
}

/** Commits in a worker thread with its own connection, so fsyncs and checkpoints never block the event loop. */
export class WorkerCommitter implements Committer {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private broken: Error | undefined;

  constructor(file: string, synchronous: "full" | "normal") {
    this.worker = startWriterWorker(file, synchronous);
    this.worker.unref(); // referenced only while a request is outstanding (see call)
    this.worker.on("message", (reply: WriterReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.error === undefined) waiter.resolve();
      else waiter.reject(new CommitError(`SQLite write failed: ${reply.error}`));
    });
    const die = (err: Error) => {
      this.broken ??= err;
      for (const waiter of this.waiting.values()) waiter.reject(this.broken);
      this.waiting.clear();
    };
    this.worker.on("error", (err) => die(new CommitError(`SQLite writer thread failed: ${err.message}`)));
    this.worker.on("exit", () => die(new CommitError("SQLite writer thread has exited")));
  }

  private call(request: WithoutId<WriterRequest>): Promise<void> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref(); // a caller awaits the answer: keep the process alive until it comes
      this.worker.postMessage({ ...request, id });
    });
  }

  commit(rows: WriteRow[], revision: number): Promise<void> {
    return this.call({ type: "commit", rows, revision });
  }

  compact(from: number, upTo: number, step: number): Promise<void> {
    return this.call({ type: "compact", from, upTo, step });
  }

  ping(): Promise<void> {
    return this.call({ type: "ping" });
  }

  async close(): Promise<void> {
    // The worker closes its connection (checkpointing the WAL) before it answers; then it can simply stop.
    if (!this.broken) await this.call({ type: "close" }).catch(() => undefined);
    await this.worker.terminate();
  }
}
