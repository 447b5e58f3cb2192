// Encryption at rest as upstream layers it: between the registry and the store, so every path that reads or writes
// a Secret's bytes (get, list, watch, the writes' answers) goes through one transformer. Keys are never encrypted
// (etcd's are not either); values of the configured resources are, with the storage key as additional data.
import type {
  KeyValue,
  ListOptions,
  ListResult,
  Revision,
  Store,
  WatchEvent,
  WatchProgress,
} from "../../store/store.js";
import type { Transformer } from "./transformer.js";

export class EncryptingStore implements Store {
  /** prefixes: the configured resources' store prefixes (e.g. "/registry/secrets/") → their transformer. */
  constructor(
    private readonly inner: Store,
    private readonly prefixes: [prefix: string, transformer: Transformer][],
  ) {}

  private transformerFor(key: string): Transformer | undefined {
    return this.prefixes.find(([prefix]) => key.startsWith(prefix))?.[1];
  }

  private read(kv: KeyValue): KeyValue {
    const transformer = this.transformerFor(kv.key);
    return transformer ? { ...kv, value: transformer.read(kv.value, kv.key) } : kv;
  }

  private readOptional(kv: KeyValue | undefined): KeyValue | undefined {
    return kv && kv.value.byteLength > 0 ? this.read(kv) : kv;
  }

  private write(key: string, value: Uint8Array): Uint8Array {
    return this.transformerFor(key)?.write(value, key) ?? value;
  }

  /** A write answers with the stored kv; hand back the plain value the caller wrote. */
  private written(kv: KeyValue, value: Uint8Array): KeyValue {
    return { ...kv, value };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    return this.readOptional(await this.inner.get(key));
  }
  async list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    const result = await this.inner.list(prefix, opts);
    return { ...result, items: result.items.map((kv) => this.read(kv)) };
  }
  count(prefix: string): Promise<number> {
    return this.inner.count(prefix);
  }
  async create(key: string, value: Uint8Array): Promise<KeyValue> {
    return this.written(await this.inner.create(key, this.write(key, value)), value);
  }
  async update(key: string, value: Uint8Array, expect: Revision): Promise<KeyValue> {
    return this.written(await this.inner.update(key, this.write(key, value), expect), value);
  }
  async delete(key: string, expect?: Revision): Promise<KeyValue> {
    return this.read(await this.inner.delete(key, expect));
  }
  get reportsProgress(): boolean | undefined {
    return this.inner.reportsProgress;
  }
  async *watch(prefix: string, from: Revision, signal: AbortSignal): AsyncIterable<WatchEvent | WatchProgress> {
    for await (const event of this.inner.watch(prefix, from, signal)) {
      if (event.type === "progress") {
        yield event;
        continue;
      }
      yield {
        type: event.type,
        kv: event.type === "put" ? this.read(event.kv) : event.kv,
        ...(event.prev ? { prev: this.read(event.prev) } : {}),
      };
    }
  }
  currentRevision(): Promise<Revision> {
    return this.inner.currentRevision();
  }
  requestProgress(prefix: string): void {
    this.inner.requestProgress?.(prefix);
  }
  get compactedRevision(): (() => Revision) | undefined {
    const inner = this.inner;
    return inner.compactedRevision && (() => inner.compactedRevision!());
  }
  compact(upTo: Revision): Promise<void> {
    return this.inner.compact(upTo);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  checkWritable(): Promise<void> {
    return this.inner.checkWritable();
  }
  /** The stored bytes as they are: a backup of an encrypted store stays encrypted. */
  get backup(): ((file: string) => Promise<Revision>) | undefined {
    const inner = this.inner;
    return inner.backup && ((file) => inner.backup!(file));
  }
}
