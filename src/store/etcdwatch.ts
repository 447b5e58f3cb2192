// One Store watch on etcd: its own gRPC watch stream (so etcd's progress answers concern this watch alone),
// resumed from the last delivered revision on another member when the stream breaks, so a member's death
// neither loses nor repeats an event. Each stream starts one revision early and drops what was delivered:
// etcd refuses a start below its compaction point, and we must refuse a `from` below it (see store.ts).

import type { IKeyValue, IWatchResponse, WatchClient } from "etcd3";
import { CompactedError } from "./store.js";
import type { KeyValue, Revision, WatchEvent, WatchProgress } from "./store.js";
import { sleep } from "../support/sleep.js";

export interface EtcdWatchOptions {
  /** Events held for a consumer that stopped reading before the stream is paused (etcd then holds them). */
  bufferLimit?: number;
  /** How often a quiet watch asks etcd how far it is (a progress notification: the bookmark revision). */
  progressIntervalMs?: number;
}

/** A key range in etcd: [key, rangeEnd). */
export interface EtcdRange {
  key: Buffer;
  rangeEnd: Buffer;
}

interface Options extends EtcdWatchOptions {
  toKeyValue: (kv: IKeyValue) => KeyValue;
  /** Fires `type` when a reader needs this watch's progress now (EtcdStore.requestProgress). */
  progressRequests?: { target: EventTarget; type: string };
}

type Item = { event: WatchEvent } | { progress: Revision };

/** Events (and progress) for `range` after `from`, until the signal aborts; CompactedError when `from` is gone. */
export async function* watchEtcd(
  client: WatchClient,
  range: EtcdRange,
  from: Revision,
  signal: AbortSignal,
  options: Options,
): AsyncGenerator<WatchEvent | WatchProgress> {
  let delivered = from; // every event at or below it has been yielded
  let failures = 0;
  while (!signal.aborted) {
    const stream = new WatchStream(client, range, delivered, signal, options);
    try {
      while (true) {
        const item = await stream.next();
        if (item === undefined) return; // aborted
        failures = 0;
        if ("event" in item) {
          if (item.event.kv.modRevision <= delivered) continue; // the revision we started early at
          delivered = item.event.kv.modRevision;
          yield item.event;
        } else if (item.progress > delivered) {
          delivered = item.progress;
          yield { type: "progress", revision: delivered };
        }
      }
    } catch (err) {
      if (err instanceof CompactedError || signal.aborted) throw err;
      // A member died or restarted: resume from `delivered` through any member, after a short backoff.
      failures++;
      await sleep(Math.min(50 * 2 ** failures, 2000), signal);
    } finally {
      stream.close();
    }
  }
}

/** One gRPC watch stream and what it has received but not handed out yet. */
class WatchStream {
  private readonly items: Item[] = [];
  private failure?: Error;
  private wake?: () => void;
  private stream?: Awaited<ReturnType<WatchClient["watch"]>>;
  private paused = false;
  private quiet = true;
  private readonly timer: NodeJS.Timeout;
  private readonly bufferLimit: number;
  private readonly onAbort = () => this.notify();
  private readonly onProgressRequest = () => {
    if (this.stream && !this.failure) this.stream.write({ progress_request: {} });
  };

  constructor(
    client: WatchClient,
    range: EtcdRange,
    private readonly after: Revision,
    private readonly signal: AbortSignal,
    private readonly options: Options,
  ) {
    this.bufferLimit = options.bufferLimit ?? 10_000;
    signal.addEventListener("abort", this.onAbort, { once: true });
    options.progressRequests?.target.addEventListener(options.progressRequests.type, this.onProgressRequest);
    this.timer = setInterval(() => this.askProgress(), options.progressIntervalMs ?? 5000);
    client.watch().then(
      (stream) => {
        this.stream = stream;
        if (signal.aborted) return this.close();
        stream.on("data", (response) => this.receive(response));
        stream.on("error", (err) => this.fail(err));
        stream.on("end", () => this.fail(new Error("etcd ended the watch stream")));
        stream.write({
          create_request: {
            key: range.key,
            range_end: range.rangeEnd,
            start_revision: Math.max(after, 1),
            prev_kv: true,
            progress_notify: true,
          },
        });
      },
      (err: Error) => this.fail(err),
    );
  }

  async next(): Promise<Item | undefined> {
    while (true) {
      if (this.signal.aborted) return undefined;
      const item = this.items.shift();
      if (item) {
        if (this.paused && this.items.length < this.bufferLimit / 2) this.setPaused(false);
        return item;
      }
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.signal.removeEventListener("abort", this.onAbort);
    const requests = this.options.progressRequests;
    requests?.target.removeEventListener(requests.type, this.onProgressRequest);
    this.stream?.cancel();
  }

  private receive(response: IWatchResponse): void {
    this.quiet = false;
    if (Number(response.compact_revision) > 0) {
      return this.fail(new CompactedError(this.after, Number(response.compact_revision)));
    }
    if (response.canceled) return this.fail(new Error(`etcd canceled the watch: ${response.cancel_reason}`));
    if (response.created) return;
    if (response.events.length === 0) {
      // etcd 3.4 may answer a progress request with revision R before R's own event is sent: only what is
      // below R is certainly delivered.
      this.items.push({ progress: Number(response.header.revision) - 1 });
    }
    for (const event of response.events) {
      const kv = this.options.toKeyValue(event.kv);
      const prev = event.prev_kv ? this.options.toKeyValue(event.prev_kv) : undefined;
      if (String(event.type).toUpperCase() === "DELETE") {
        // etcd's delete event has only the key: the last value comes from prev_kv, at the delete's revision
        const last = prev ?? kv;
        this.items.push({ event: { type: "delete", kv: { ...last, modRevision: kv.modRevision }, prev } });
      } else {
        this.items.push({ event: prev ? { type: "put", kv, prev } : { type: "put", kv } });
      }
    }
    if (this.items.length >= this.bufferLimit) this.setPaused(true);
    this.notify();
  }

  /** Asks etcd how far this watch is, when nothing came since the last tick. */
  private askProgress(): void {
    if (this.quiet && this.stream && !this.failure) this.stream.write({ progress_request: {} });
    this.quiet = true;
  }

  /** A stream that is not read makes etcd hold the events (HTTP/2 flow control), never its writers. */
  private setPaused(paused: boolean): void {
    const stream: unknown = this.stream;
    if (!isPausable(stream)) return;
    this.paused = paused;
    if (paused) stream.pause();
    else stream.resume();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function isPausable(stream: unknown): stream is { pause(): void; resume(): void } {
  return typeof stream === "object" && stream !== null && "pause" in stream && "resume" in stream;
}
