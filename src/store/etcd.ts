// The etcd v3 backend, for many machines: several apiservers share one etcd cluster. It maps the seam one-to-one,
// as kube-apiserver's etcd3 storage does: resourceVersion is etcd's revision, a create is a transaction that
// the key has no create revision, an update or a delete one that its mod revision is the expected one, a list is
// a linearizable range (at a revision for consistent pages), a watch is etcd's watch from a revision, and
// compaction is etcd's own (410 Gone after it). The etcd3 client keeps one gRPC channel per member and moves to
// another member when one fails.
//
// Keys: the apiserver's keys begin with `root` (its "/registry"); in etcd they begin with `prefix` instead
// (kube-apiserver's --etcd-prefix), so `etcdctl get --prefix /registry/persistentvolumes` shows our objects.

import { setMaxListeners } from "node:events";
import { createWriteStream } from "node:fs";
import { Etcd3, GRPCOutOfRangeError } from "etcd3";
import type { IKeyValue, IOptions, IRangeRequest } from "etcd3";
import { watchEtcd, type EtcdRange, type EtcdWatchOptions } from "./etcdwatch.js";
import {
  CompactedError,
  FutureRevisionError,
  KeyExistsError,
  KeyNotFoundError,
  RevisionMismatchError,
  StoreClosedError,
} from "./store.js";
import type { KeyValue, ListOptions, ListResult, Revision, Store, WatchEvent, WatchProgress } from "./store.js";
import { RequestTooLargeError, requestSizeError } from "./store.js";

export interface EtcdStoreOptions {
  /** Client URLs of the members: http://host:port or https://host:port (or host:port, plain). */
  endpoints: string[];
  /** TLS to the members: the CA that signed their certificates, and our client certificate when they ask for one. */
  tls?: { ca: string; cert?: string; key?: string };
  /** Where our keys live in etcd (kube-apiserver's --etcd-prefix); default the same as `root`. */
  prefix?: string;
  /** The part of every store key that `prefix` replaces; default "" (keys are stored under `prefix` as they are). */
  root?: string;
  watch?: EtcdWatchOptions;
}

export class EtcdStore implements Store {
  readonly reportsProgress = true;
  /** One listener per open watch stream, however many. */
  private readonly progressRequests = (() => {
    const target = new EventTarget();
    setMaxListeners(0, target);
    return target;
  })();
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly root: string;
  private closed = false;
  /** Open watches, ended by close(). */
  private readonly watches = new Set<AbortController>();

  constructor(private readonly options: EtcdStoreOptions) {
    if (options.endpoints.length === 0) throw new Error("no etcd endpoints given");
    const secure = options.endpoints.some((e) => e.startsWith("https://"));
    if (secure && !options.tls) throw new Error("https etcd endpoints need a CA file (--etcd-cafile)");
    const config: IOptions = { hosts: options.endpoints, dialTimeout: 5000 };
    if (options.tls) {
      config.credentials = {
        rootCertificate: Buffer.from(options.tls.ca),
        ...(options.tls.cert ? { certChain: Buffer.from(options.tls.cert) } : {}),
        ...(options.tls.key ? { privateKey: Buffer.from(options.tls.key) } : {}),
      };
    }
    this.client = new Etcd3(config);
    this.root = options.root ?? "";
    this.prefix = options.prefix ?? this.root;
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const response = await this.call(() => this.client.kv.range({ key: this.etcdKey(key) }));
    const kv = response.kvs[0];
    return kv ? this.keyValue(kv) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const range = this.rangeOf(prefix);
    const request: IRangeRequest = { key: range.key, range_end: range.rangeEnd };
    if (opts.after !== undefined) {
      const after = this.etcdKey(opts.after);
      // strictly after: the smallest key above `after`, unless `after` sorts before the prefix anyway
      if (Buffer.compare(after, range.key) >= 0) request.key = Buffer.concat([after, Buffer.from([0])]);
    }
    if (opts.limit && opts.limit > 0) request.limit = opts.limit;
    if (opts.at === 0) return { items: [], revision: 0, more: false }; // before the first write: nothing
    if (opts.at !== undefined) request.revision = opts.at;
    try {
      const response = await this.call(() => this.client.kv.range(request));
      return {
        items: response.kvs.map((kv) => this.keyValue(kv)),
        revision: opts.at ?? Number(response.header.revision),
        more: response.more,
      };
    } catch (err) {
      if (opts.at !== undefined && err instanceof GRPCOutOfRangeError) throw await this.outOfRange(opts.at);
      throw err;
    }
  }

  async count(prefix: string): Promise<number> {
    const range = this.rangeOf(prefix);
    const response = await this.call(() =>
      this.client.kv.range({ key: range.key, range_end: range.rangeEnd, count_only: true }),
    );
    return Number(response.count);
  }

  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    const tooLarge = requestSizeError(key, value); // as the other backends, before etcd's own refusal
    if (tooLarge) throw tooLarge;
    const etcdKey = this.etcdKey(key);
    const copy = Buffer.from(value);
    const response = await this.write(key, value, () =>
      this.client.kv.txn({
        compare: [{ key: etcdKey, target: "Create", result: "Equal", create_revision: 0 }],
        success: [{ request_put: { key: etcdKey, value: copy } }],
      }),
    );
    if (!response.succeeded) throw new KeyExistsError(key);
    const revision = Number(response.header.revision);
    return { key, value: copy, createRevision: revision, modRevision: revision };
  }

  async update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue> {
    const tooLarge = requestSizeError(key, value); // as the other backends, before etcd's own refusal
    if (tooLarge) throw tooLarge;
    const etcdKey = this.etcdKey(key);
    const copy = Buffer.from(value);
    const response = await this.write(key, value, () =>
      this.client.kv.txn({
        compare: [{ key: etcdKey, target: "Mod", result: "Equal", mod_revision: expect }],
        success: [{ request_put: { key: etcdKey, value: copy, prev_kv: true } }],
        failure: [{ request_range: { key: etcdKey } }],
      }),
    );
    if (!response.succeeded) throw this.refused(key, expect, response.responses[0]?.response_range?.kvs[0]);
    const prev = response.responses[0].response_put.prev_kv;
    const revision = Number(response.header.revision);
    return { key, value: copy, createRevision: Number(prev.create_revision), modRevision: revision };
  }

  async delete(key: string, expect?: Revision): Promise<KeyValue> {
    const etcdKey = this.etcdKey(key);
    // Without an expectation the delete still needs the key to exist: compare that it has a create revision.
    const compare =
      expect === undefined
        ? { key: etcdKey, target: "Create" as const, result: "Greater" as const, create_revision: 0 }
        : { key: etcdKey, target: "Mod" as const, result: "Equal" as const, mod_revision: expect };
    const response = await this.call(() =>
      this.client.kv.txn({
        compare: [compare],
        success: [{ request_delete_range: { key: etcdKey, prev_kv: true } }],
        failure: [{ request_range: { key: etcdKey } }],
      }),
    );
    if (!response.succeeded) throw this.refused(key, expect, response.responses[0]?.response_range?.kvs[0]);
    const prev = response.responses[0].response_delete_range.prev_kvs[0];
    return { ...this.keyValue(prev), modRevision: Number(response.header.revision) };
  }

  watch(prefix: string, from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent | WatchProgress> {
    return {
      [Symbol.asyncIterator]: () => {
        if (this.closed) throw new StoreClosedError();
        // close() ends this watch as well as the caller's signal does
        const controller = new AbortController();
        const end = () => controller.abort();
        signal.addEventListener("abort", end, { once: true });
        if (signal.aborted) end();
        this.watches.add(controller);
        controller.signal.addEventListener("abort", () => {
          this.watches.delete(controller);
          signal.removeEventListener("abort", end);
        });
        const events = watchEtcd(this.client.watchClient, this.rangeOf(prefix), from, controller.signal, {
          ...this.options.watch,
          toKeyValue: (kv) => this.keyValue(kv),
          progressRequests: { target: this.progressRequests, type: `watch:${prefix}` },
        });
        return events[Symbol.asyncIterator]();
      },
    };
  }

  /** Every open watch of exactly this prefix asks etcd where it is now; the answers come as WatchProgress. */
  requestProgress(prefix: string): void {
    this.progressRequests.dispatchEvent(new Event(`watch:${prefix}`));
  }

  async currentRevision(): Promise<Revision> {
    const range = this.rangeOf("");
    const response = await this.call(() =>
      this.client.kv.range({ key: range.key, range_end: range.rangeEnd, count_only: true }),
    );
    return Number(response.header.revision);
  }

  /** kube-apiserver's etcd check: a linearizable read answered by a quorum (a write would need the same). */
  async checkWritable(): Promise<void> {
    await this.currentRevision();
  }

  /**
   * etcd's maintenance snapshot (what `etcdctl snapshot save` takes): the whole backend of one member, at the
   * revision of the stream's first header. Restore it with `etcdutl snapshot restore --bump-revision N
   * --mark-compacted`, as upstream does after a restore, so clients of the old cluster relist.
   */
  async backup(file: string): Promise<Revision> {
    const out = createWriteStream(file, { flags: "wx" });
    const opened = new Promise<void>((resolve, reject) => out.once("open", () => resolve()).once("error", reject));
    await opened;
    // etcd 3.5 sends the snapshot's revision in the first header; 3.4 sends none, and then the revision read
    // just before it began is what the snapshot holds at least.
    const before = await this.currentRevision();
    let revision: Revision | undefined;
    const received = new Promise<void>((resolve, reject) => {
      void this.client.maintenance.snapshot().then((stream) => {
        stream.on("data", (chunk: { header?: { revision?: string }; blob: Buffer }) => {
          if (chunk.header?.revision !== undefined) revision ??= Number(chunk.header.revision);
          out.write(chunk.blob);
        });
        stream.on("end", () => resolve());
        stream.on("error", reject);
      }, reject);
    });
    try {
      await received;
    } finally {
      await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    return revision ?? before;
  }

  async compact(upTo: Revision): Promise<void> {
    const current = await this.currentRevision();
    if (upTo > current) throw new FutureRevisionError(upTo, current);
    try {
      await this.call(() => this.client.kv.compact({ revision: upTo }));
    } catch (err) {
      // already compacted to or beyond upTo (by us, or by another apiserver on the same etcd): nothing to do
      if (err instanceof GRPCOutOfRangeError) return;
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watch of [...this.watches]) watch.abort();
    this.client.close();
  }

  /** The etcd key of a store key: `root` replaced by `prefix`. */
  private etcdKey(key: string): Buffer {
    if (!key.startsWith(this.root)) throw new Error(`key ${key} is outside the store's root ${this.root}`);
    return Buffer.from(this.prefix + key.slice(this.root.length));
  }

  /** The etcd range of every store key beginning with `prefix`. */
  private rangeOf(prefix: string): EtcdRange {
    // a prefix shorter than the root (the apiserver never asks for one) covers everything under the root
    const key = this.root.startsWith(prefix) ? Buffer.from(this.prefix) : this.etcdKey(prefix);
    return { key: key.length ? key : Buffer.from([0]), rangeEnd: rangeEndOf(key) };
  }

  private keyValue(kv: IKeyValue): KeyValue {
    const key = kv.key.toString();
    return {
      key: this.root + key.slice(this.prefix.length),
      value: kv.value,
      createRevision: Number(kv.create_revision),
      modRevision: Number(kv.mod_revision),
    };
  }

  /** Why a conditional write's comparison failed: the key is gone, or at another revision. */
  private refused(key: string, expect: Revision | undefined, current: IKeyValue | undefined): Error {
    if (!current) return new KeyNotFoundError(key);
    return new RevisionMismatchError(key, expect ?? 0, Number(current.mod_revision));
  }

  /**
   * etcd answers OutOfRange both for a compacted and for a future revision; the current revision tells which
   * (rather than the wording of its message).
   */
  private async outOfRange(at: Revision): Promise<Error> {
    const current = await this.currentRevision();
    if (at > current) return new FutureRevisionError(at, current);
    return new CompactedError(at, await this.probeCompactedRevision(at));
  }

  /** etcd's compaction point, which it tells a watch that starts below it (etcd 3.4 has no other way to ask). */
  private async probeCompactedRevision(below: Revision): Promise<Revision> {
    const controller = new AbortController();
    // etcd syncs a watch from the past within 100 ms; one from a compacted start then ends with the compaction point
    const timer = setTimeout(() => controller.abort(), 1000);
    try {
      const probe = watchEtcd(this.client.watchClient, this.rangeOf(""), below - 1, controller.signal, {
        toKeyValue: (kv) => this.keyValue(kv),
        progressIntervalMs: 60_000, // a progress answer may come before the compaction's
      });
      for await (const event of probe) if (event) break;
    } catch (err) {
      if (err instanceof CompactedError) return err.compacted;
      throw err;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return below;
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreClosedError();
    return operation();
  }

  /** A write etcd itself refused as too large (its --max-request-bytes counts the prefix and framing too). */
  private async write<T>(key: string, value: Uint8Array, operation: () => Promise<T>): Promise<T> {
    try {
      return await this.call(operation);
    } catch (err) {
      if (err instanceof Error && err.message.includes("etcdserver: request is too large")) {
        throw new RequestTooLargeError(key, Buffer.byteLength(key) + value.byteLength);
      }
      throw err;
    }
  }
}

/** The end of the etcd range of keys beginning with `key`: its last byte below 0xff incremented ("\0": all keys). */
export function rangeEndOf(key: Buffer): Buffer {
  for (let i = key.length - 1; i >= 0; i--) {
    if (key[i] < 0xff) {
      const end = Buffer.from(key.subarray(0, i + 1));
      end[i]++;
      return end;
    }
  }
  return Buffer.from([0]);
}
