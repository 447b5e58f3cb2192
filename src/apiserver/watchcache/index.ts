// The cache's current objects, by key and by namespace (upstream's watch cache store with its namespace index),
// listed in key order as the store lists them: sorted lazily, only after a create or delete changed the key set.
import type { KeyValue } from "../../store/store.js";

class SortedKeys {
  readonly values = new Map<string, KeyValue>();
  private sorted?: string[];

  set(kv: KeyValue): void {
    if (!this.values.has(kv.key)) this.sorted = undefined;
    this.values.set(kv.key, kv);
  }

  delete(key: string): void {
    if (this.values.delete(key)) this.sorted = undefined;
  }

  list(): KeyValue[] {
    // insertion order is mostly key order already (names created in sequence), which sort() is fast on
    this.sorted ??= [...this.values.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return this.sorted.map((key) => this.values.get(key)!);
  }
}

export class CacheIndex {
  private readonly all = new SortedKeys();
  private readonly namespaces = new Map<string, SortedKeys>();

  /** `base` is the resource's key prefix; `namespaced` keys continue with `<namespace>/<name>`. */
  constructor(
    private readonly base: string,
    private readonly namespaced: boolean,
  ) {}

  get size(): number {
    return this.all.values.size;
  }

  get(key: string): KeyValue | undefined {
    return this.all.values.get(key);
  }

  set(kv: KeyValue): void {
    this.all.set(kv);
    const namespace = this.namespaceOf(kv.key);
    if (namespace === undefined) return;
    let keys = this.namespaces.get(namespace);
    if (!keys) this.namespaces.set(namespace, (keys = new SortedKeys()));
    keys.set(kv);
  }

  delete(key: string): void {
    this.all.delete(key);
    const namespace = this.namespaceOf(key);
    if (namespace === undefined) return;
    const keys = this.namespaces.get(namespace);
    keys?.delete(key);
    if (keys && keys.values.size === 0) this.namespaces.delete(namespace);
  }

  /** Every object, or one namespace's, in key order. */
  list(namespace?: string): KeyValue[] {
    if (namespace === undefined || !this.namespaced) return this.all.list();
    return this.namespaces.get(namespace)?.list() ?? [];
  }

  private namespaceOf(key: string): string | undefined {
    if (!this.namespaced) return undefined;
    const end = key.indexOf("/", this.base.length);
    return end < 0 ? undefined : key.slice(this.base.length, end);
  }
}
