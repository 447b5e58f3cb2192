// An informer: list + watch one resource into a local cache, and tell handlers about every change.
// As client-go's Reflector + Indexer + shared informer: list (paged), then watch from the list's
// resourceVersion with bookmarks; on 410 Gone (or "Too large resource version": a restored or reset store) relist
// and deliver the difference; on other errors back off
// (800 ms doubling to 30 s) and resume from the last resourceVersion seen. Periodic resync re-delivers every
// cached object so level-triggered controllers revisit what nothing changed.
//
// Cache objects are frozen and shared by every reader: copy (structuredClone) before changing one.
import type { KubeObject } from "../api/meta.js";
import type { ResourceClient } from "./client.js";
import { isGone, isTooLargeResourceVersion } from "./errors.js";
import { deepFreeze } from "./freeze.js";
import type { ObjectKey } from "./keys.js";
import { keyOf } from "./keys.js";
import type { ListOptions } from "./resourceclient.js";
import { sleep } from "../support/sleep.js";

/** Reads an informer's cache. Objects are read-only. */
export interface Lister<T extends KubeObject> {
  get(key: ObjectKey): T | undefined;
  /** All cached objects, optionally of one namespace and/or matching labels (matchLabels or a predicate). */
  list(filter?: ListFilter): T[];
  byIndex(indexName: string, value: string): T[];
  keys(): ObjectKey[];
}

export interface ListFilter {
  namespace?: string;
  labels?: Record<string, string> | ((labels: Record<string, string>) => boolean);
}

export type IndexFunc<T> = (object: T) => string[];

export interface InformerOptions {
  namespace?: string;
  labelSelector?: ListOptions["labelSelector"];
  fieldSelector?: string;
  /** Re-deliver every cached object as an update this often (0: never). */
  resyncPeriodMs?: number;
  /** Items per list page (0: unpaged). */
  pageSize?: number;
  /** Freeze cached objects (default true). */
  freeze?: boolean;
  /**
   * Cache objects without metadata.managedFields (the transform client-go's cache.TransformStripManagedFields
   * makes): a control loop never reads them, they are a third of a PV's memory, and an update sent without them
   * keeps the stored ones.
   */
  stripManagedFields?: boolean;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

interface Handlers<T> {
  add?: (object: T) => void;
  update?: (old: T, object: T) => void;
  delete?: (object: T) => void;
}

/** The built-in index of every informer: objects by namespace. */
export const namespaceIndex = "namespace";

export class Informer<T extends KubeObject> implements Lister<T> {
  private readonly cache = new Map<ObjectKey, T>();
  private readonly indexers = new Map<string, { fn: IndexFunc<T>; index: Map<string, Set<ObjectKey>> }>();
  private readonly handlers = new Set<Handlers<T>>();
  private readonly syncWaiters: Array<() => void> = [];
  private synced = false;
  private running = false;
  private resourceVersion = "";
  private readonly log: (message: string, fields: Record<string, unknown>) => void;
  private readonly name: string;

  constructor(
    readonly client: ResourceClient<T>,
    private readonly options: InformerOptions = {},
  ) {
    this.name = client.resource.group ? `${client.resource.plural}.${client.resource.group}` : client.resource.plural;
    this.log = options.log ?? ((message, fields) => console.warn(`[informer ${this.name}] ${message}`, fields));
    this.addIndexer(namespaceIndex, (object) => [object.metadata.namespace ?? ""]);
  }

  // ---- handlers ------------------------------------------------------------------------------------------

  /**
   * Handlers run synchronously in the informer's loop: keep them quick (enqueue a key). A handler added
   * after objects are cached first gets an add for each of them, as client-go's AddEventHandler does.
   * Each returns a function that removes the handler.
   */
  onAdd(fn: (object: T) => void): () => void {
    return this.addHandlers({ add: fn });
  }

  /** Also called with old === object on each periodic resync. */
  onUpdate(fn: (old: T, object: T) => void): () => void {
    return this.addHandlers({ update: fn });
  }

  /** With the object's last state (from the DELETED event, or the cache when a relist found it gone). */
  onDelete(fn: (object: T) => void): () => void {
    return this.addHandlers({ delete: fn });
  }

  /** Any add, update, resync or delete: the shape level-triggered loops want. */
  onChange(fn: (object: T) => void): () => void {
    return this.addHandlers({ add: fn, update: (_old, object) => fn(object), delete: fn });
  }

  addHandlers(handlers: Handlers<T>): () => void {
    const entry = { ...handlers };
    this.handlers.add(entry);
    if (entry.add) for (const object of this.cache.values()) this.call(() => entry.add?.(object));
    return () => this.handlers.delete(entry);
  }

  // ---- cache reads (Lister) ------------------------------------------------------------------------------

  get(key: ObjectKey): T | undefined {
    return this.cache.get(key);
  }

  list(filter: ListFilter = {}): T[] {
    const objects =
      filter.namespace !== undefined ? this.byIndex(namespaceIndex, filter.namespace) : [...this.cache.values()];
    const { labels } = filter;
    if (!labels) return objects;
    const matches =
      typeof labels === "function"
        ? labels
        : (have: Record<string, string>) => Object.entries(labels).every(([k, v]) => have[k] === v);
    return objects.filter((object) => matches(object.metadata.labels ?? {}));
  }

  keys(): ObjectKey[] {
    return [...this.cache.keys()];
  }

  /** Index the cache by fn's values (e.g. a PV's claimRef key); existing objects are indexed now. */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.indexers.has(name)) throw new Error(`informer ${this.name}: index "${name}" already exists`);
    const index = new Map<string, Set<ObjectKey>>();
    this.indexers.set(name, { fn, index });
    for (const [key, object] of this.cache) for (const value of fn(object)) addTo(index, value, key);
  }

  byIndex(indexName: string, value: string): T[] {
    const indexer = this.indexers.get(indexName);
    if (!indexer) throw new Error(`informer ${this.name}: no index "${indexName}"`);
    const keys = indexer.index.get(value);
    if (!keys) return [];
    const objects: T[] = [];
    for (const key of keys) {
      const object = this.cache.get(key);
      if (object) objects.push(object);
    }
    return objects;
  }

  // ---- lifecycle -----------------------------------------------------------------------------------------

  hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion of the last list, event or bookmark applied. */
  get lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Resolves true once the first list is cached (and handlers told), false if the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve(true);
      });
    });
  }

  /** Lists and watches until the signal aborts. Starting twice is a no-op for the second caller. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.running) return;
    this.running = true;
    const resync = this.options.resyncPeriodMs
      ? setInterval(() => this.resync(), this.options.resyncPeriodMs)
      : undefined;
    const initialBackoff = this.options.initialBackoffMs ?? 800;
    const maxBackoff = this.options.maxBackoffMs ?? 30_000;
    let backoff = initialBackoff;
    let needList = true;
    let goneInARow = 0;
    try {
      while (!signal.aborted) {
        let events = 0;
        try {
          if (needList) {
            await this.relist(signal);
            needList = false;
          }
          for await (const event of this.client.watch({
            ...this.selectors(),
            resourceVersion: this.resourceVersion,
            allowWatchBookmarks: true,
            // As the Reflector: a random 5–10 minute timeout spreads re-watches of many clients.
            timeoutSeconds: Math.floor(300 + Math.random() * 300),
            signal,
          })) {
            events++;
            backoff = initialBackoff;
            goneInARow = 0;
            this.apply(event.type, event.object);
          }
          if (events > 0 || signal.aborted) continue; // the server ended a watch: resume at once
          // A watch that ends without a single event may be a server refusing us: don't spin.
        } catch (err) {
          if (signal.aborted) break;
          if (isGone(err) || isTooLargeResourceVersion(err)) {
            // Our resourceVersion was compacted away, or the server never reached it (its store was restored or
            // reset): only a fresh list can tell us what is there, as the Reflector relists.
            needList = true;
            if (goneInARow++ === 0) continue;
          } else {
            this.log("list/watch failed; retrying", { resourceVersion: this.resourceVersion, err: describe(err) });
          }
        }
        await sleep(backoff, signal);
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    } finally {
      if (resync) clearInterval(resync);
      this.running = false;
    }
  }

  // ---- internals -----------------------------------------------------------------------------------------

  private selectors(): ListOptions {
    const { namespace, labelSelector, fieldSelector } = this.options;
    return { namespace, labelSelector, fieldSelector };
  }

  /** Lists everything and makes the cache equal to it, telling handlers only what differs. */
  private async relist(signal: AbortSignal): Promise<void> {
    const pageSize = this.options.pageSize ?? 500;
    let list;
    try {
      list = await this.client.listAll({ ...this.selectors(), limit: pageSize || undefined, signal });
    } catch (err) {
      // A continue token can expire between pages (410): fall back to one unpaged list, as the Reflector does.
      if (!isGone(err) || !pageSize) throw err;
      list = await this.client.list({ ...this.selectors(), signal });
    }
    const seen = new Set<ObjectKey>();
    for (const item of list.items) {
      const object = this.freeze(item);
      const key = keyOf(object);
      seen.add(key);
      const old = this.cache.get(key);
      if (old && old.metadata.resourceVersion === object.metadata.resourceVersion) continue;
      this.store(key, object, old);
      if (old) this.emit((h) => h.update?.(old, object));
      else this.emit((h) => h.add?.(object));
    }
    for (const [key, old] of [...this.cache]) {
      if (seen.has(key)) continue;
      this.remove(key, old);
      this.emit((h) => h.delete?.(old));
    }
    this.resourceVersion = list.metadata.resourceVersion ?? "";
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
  }

  private apply(type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK", received: T): void {
    const resourceVersion = received.metadata?.resourceVersion;
    if (type === "BOOKMARK") {
      if (resourceVersion) this.resourceVersion = resourceVersion;
      return;
    }
    const object = this.freeze(received);
    const key = keyOf(object);
    const old = this.cache.get(key);
    if (type === "DELETED") {
      if (old) this.remove(key, old);
      this.emit((h) => h.delete?.(object));
    } else {
      this.store(key, object, old);
      if (old) this.emit((h) => h.update?.(old, object));
      else this.emit((h) => h.add?.(object));
    }
    if (resourceVersion) this.resourceVersion = resourceVersion;
  }

  private resync(): void {
    for (const object of [...this.cache.values()]) this.emit((h) => h.update?.(object, object));
  }

  private freeze(object: T): T {
    // Received objects are this informer's own (decoded for it), so dropping a field here changes no one else's.
    if (this.options.stripManagedFields && object.metadata?.managedFields) {
      if (Object.isFrozen(object.metadata)) {
        const { managedFields: _dropped, ...metadata } = object.metadata;
        object = { ...object, metadata };
      } else delete object.metadata.managedFields;
    }
    return this.options.freeze === false ? object : deepFreeze(object);
  }

  private store(key: ObjectKey, object: T, old: T | undefined): void {
    if (old) this.unindex(key, old);
    this.cache.set(key, object);
    for (const { fn, index } of this.indexers.values()) for (const value of fn(object)) addTo(index, value, key);
  }

  private remove(key: ObjectKey, old: T): void {
    this.unindex(key, old);
    this.cache.delete(key);
  }

  private unindex(key: ObjectKey, old: T): void {
    for (const { fn, index } of this.indexers.values()) {
      for (const value of fn(old)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }

  private emit(deliver: (handlers: Handlers<T>) => void): void {
    // A copy: a handler added while delivering gets the cache through addHandlers, not this event twice.
    for (const handlers of [...this.handlers]) this.call(() => deliver(handlers));
  }

  /** A throwing handler is logged; it must not stop the others or the watch. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log("event handler threw", { err: describe(err) });
    }
  }
}

function addTo(index: Map<string, Set<ObjectKey>>, value: string, key: ObjectKey): void {
  let keys = index.get(value);
  if (!keys) index.set(value, (keys = new Set()));
  keys.add(key);
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
