// A watch as Kubernetes streams it: one JSON event per line ({"type":…,"object":…}), bookmarks when asked for,
// ended by timeoutSeconds (default: a random 30–60 minutes, as upstream's MinRequestTimeout), by the client
// going away, or by an ERROR event (410 Gone when the start revision was compacted).
import type { KubeObject } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import { apiVersionOf } from "./decode.js";
import { toStatusError } from "./errors.js";
import { decodeObject, objectChunks } from "./registry/codec.js";
import type { RegistryWatchEvent } from "./registry/watch.js";
import { partialMetadata, tableOf, type Output } from "./respond.js";

const encoder = new TextEncoder();
const closeEvent = Buffer.from("}\n");

type Read = IteratorResult<Uint8Array, undefined>;
const finished: Read = { value: undefined, done: true };

/**
 * A bounded push queue read as an async iterator (by hand, not a generator: a thousand watchers take every event
 * through it); the producer waits when the reader is slow.
 */
class Channel {
  private queue: Uint8Array[] = [];
  private waiting?: (read: Read) => void;
  private space?: () => void;
  closed = false;
  push(chunk: Uint8Array): void {
    if (this.closed) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      return waiting({ value: chunk, done: false });
    }
    this.queue.push(chunk);
  }
  close(): void {
    this.closed = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(finished);
    this.space?.();
  }
  get full(): boolean {
    return this.queue.length > 1000;
  }
  async waitForSpace(): Promise<void> {
    while (this.full && !this.closed) await new Promise<void>((r) => (this.space = r));
  }
  read(): Promise<Read> {
    if (this.queue.length) {
      const chunks = this.queue;
      this.queue = [];
      this.space?.();
      // many small events in one chunk: one write instead of many
      return Promise.resolve({ value: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), done: false });
    }
    if (this.closed) return Promise.resolve(finished);
    return new Promise((resolve) => (this.waiting = resolve));
  }
}

/**
 * Live watch events share their stored bytes across watchers (store.ts), so one encoding per event serves all of
 * them: a hundred watchers of one object cost one Buffer.concat, not a hundred.
 */
const encoded = new WeakMap<Uint8Array, { key: string; line: Uint8Array }>();
function encodedEvent(type: string, value: Uint8Array, revision: number): Uint8Array {
  const key = `${type}:${revision}`;
  const hit = encoded.get(value);
  if (hit && hit.key === key) return hit.line;
  const line = Buffer.concat([
    Buffer.from(`{"type":"${type}","object":`),
    ...objectChunks(value, revision),
    closeEvent,
  ]);
  encoded.set(value, { key, line });
  return line;
}

/** Metadata and Table event lines per stored value, by shape (see objectLine in watchStream). */
const encodedShapes = new WeakMap<Uint8Array, Map<string, Uint8Array>>();

export interface WatchStreamOptions {
  def: ResourceDefinition;
  events: (signal: AbortSignal) => AsyncIterable<RegistryWatchEvent> | Promise<AsyncIterable<RegistryWatchEvent>>;
  output: Output;
  allowBookmarks: boolean;
  timeoutSeconds?: number;
  bookmarkIntervalMs?: number;
  /**
   * The store's current revision (upstream's progress notify): a quiet watch's bookmark carries it, so a client
   * that reconnects after compaction resumes instead of relisting. Without it bookmarks carry the last revision
   * the watch saw.
   */
  progress?: () => Promise<number>;
  signal?: AbortSignal;
  log: (message: string, err: unknown) => void;
}

export function watchStream(options: WatchStreamOptions): AsyncIterable<Uint8Array> {
  const channel = new Channel();
  const controller = new AbortController();
  const stop = () => {
    controller.abort();
    channel.close();
  };
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) stop();
  const timeoutMs = (options.timeoutSeconds ?? 1800 * (1 + Math.random())) * 1000;
  const timer = setTimeout(stop, timeoutMs);
  let lastRevision = 0;
  const lines = new EventLines(options.def, options.output);

  // True while the loop below is parked on the event source with everything it received already pushed.
  let idle = false;
  let progressing = false;
  const sendBookmark = async () => {
    if (progressing || lastRevision === 0) return; // 0: the watch has not started yet
    progressing = true;
    try {
      let revision = lastRevision;
      if (options.progress && idle) {
        const current = await options.progress();
        // In-process stores publish a commit's events to watchers in the same step that advances the revision,
        // and they reach this stream through promise callbacks only: after one macrotask turn, a still-idle
        // loop has pushed every event at or below `current`, so `current` is a true bookmark.
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (idle) revision = Math.max(lastRevision, current);
        else revision = lastRevision;
      }
      if (!channel.closed) channel.push(lines.bookmark(revision));
    } catch (err) {
      if (!controller.signal.aborted) options.log("watch progress bookmark failed", err);
    } finally {
      progressing = false;
    }
  };
  const bookmarks = options.allowBookmarks
    ? setInterval(() => void sendBookmark(), options.bookmarkIntervalMs ?? 60_000)
    : undefined;

  void (async () => {
    let source: AsyncIterator<RegistryWatchEvent> | undefined;
    try {
      source = (await options.events(controller.signal))[Symbol.asyncIterator]();
      while (true) {
        idle = true;
        const next = await source.next();
        idle = false;
        if (next.done) break;
        const event = next.value;
        if (channel.closed) break;
        switch (event.type) {
          case "ERROR":
            channel.push(lines.line("ERROR", event.status));
            return;
          case "BOOKMARK":
            lastRevision = Math.max(lastRevision, event.revision);
            if (event.startMarker) break;
            // the initial-events-end bookmark is sent even without allowWatchBookmarks: the client asked for it
            if (options.allowBookmarks || event.initialEventsEnd)
              channel.push(lines.bookmark(event.revision, event.initialEventsEnd));
            break;
          default:
            lastRevision = Math.max(lastRevision, event.revision);
            channel.push(
              event.line && options.output.representation === "object"
                ? event.line
                : lines.object(event.type, event.value, event.revision, event.object),
            );
        }
        if (channel.full) await channel.waitForSpace();
      }
    } catch (err) {
      if (!controller.signal.aborted) channel.push(lines.line("ERROR", toStatusError(err, options.log).toStatus()));
    } finally {
      idle = false;
      void source?.return?.()?.catch(() => undefined);
      clearTimeout(timer);
      if (bookmarks) clearInterval(bookmarks);
      channel.close();
      controller.abort();
    }
  })();

  return readerOf(channel, stop);
}

/** The channel as the response body; a reader that stops early (client gone) ends the watch. */
function readerOf(channel: Channel, stop: () => void): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => ({
      next: () => channel.read(),
      return: () => {
        stop();
        return Promise.resolve(finished);
      },
    }),
  };
}

/** One watch's event lines, in the representation it asked for (object, metadata, Table). */
class EventLines {
  /** A Table watch sends the column definitions with its first row only. */
  private firstTable = true;

  constructor(
    private readonly def: ResourceDefinition,
    private readonly output: Output,
  ) {}

  line(type: string, object: unknown): Uint8Array {
    return encoder.encode(`{"type":"${type}","object":${JSON.stringify(object)}}\n`);
  }

  bookmark(revision: number, initialEnd = false): Uint8Array {
    const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
    if (initialEnd) metadata.annotations = { "k8s.io/initial-events-end": "true" };
    return this.line("BOOKMARK", { kind: this.def.kind, apiVersion: apiVersionOf(this.def), metadata });
  }

  object(type: string, value: Uint8Array, revision: number, object?: KubeObject): Uint8Array {
    const output = this.output;
    if (output.representation === "object") return encodedEvent(type, value, revision);
    // Metadata and Table lines are the same for every watcher asking the same way (kubectl get -w, metadata
    // informers): made once per event and shape, then shared, like the object lines above.
    const shape = `${type}:${revision}:${output.representation}:${output.includeObject}:${this.firstTable}`;
    const hit = encodedShapes.get(value);
    const shared = hit?.get(shape);
    if (shared) {
      if (output.representation === "table") this.firstTable = false;
      return shared;
    }
    const made = this.make(type, value, revision, object);
    if (hit) hit.set(shape, made);
    else encodedShapes.set(value, new Map([[shape, made]]));
    return made;
  }

  private make(type: string, value: Uint8Array, revision: number, object?: KubeObject): Uint8Array {
    const decoded = object
      ? { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } }
      : decodeObject({ key: "", value, createRevision: 0, modRevision: revision });
    if (this.output.representation === "metadata") return this.line(type, partialMetadata(decoded));
    const table = tableOf(this.def, [decoded], this.output, { resourceVersion: String(revision) }, this.firstTable);
    this.firstTable = false;
    return this.line(type, table);
  }
}
