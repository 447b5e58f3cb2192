// Objects a node may only GET one at a time (PersistentVolumeClaims, PersistentVolumes, VolumeAttachments: the
// Node authorizer allows no list or watch of them), kept as the kubelet reads them — by GET when a reader asks, with
// a short-lived cache so that a reconciler pass every 100 ms costs no request. get() answers from the cache at once
// and, when the entry is older than its freshness, starts one GET in the background; a GET that finds something
// different (another resourceVersion, or gone) tells the onChange handlers, which wake the reconciler. So a retry
// reads again (re-read on retry), and a change is seen within the freshness. Entries no one read for a while go.
import type { KubeObject } from "../../api/meta.js";
import { isNotFound, keyOf, splitKey, type ResourceClient } from "../../client/index.js";
import { deepFreeze } from "../../client/freeze.js";
import type { ObjectReader } from "./reader.js";

export interface FetchedObjectsOptions<T extends KubeObject> {
  client: ResourceClient<T>;
  /** How long a read object stays fresh; a read after that GETs it again. */
  maxAgeMs: number;
  /**
   * Whether the object (undefined: not found) is not yet what its readers wait for — a claim not bound, an
   * attachment not attached: then it is read again after waitingMaxAgeMs instead, so the wait ends soon.
   */
  waiting?(object: T | undefined): boolean;
  waitingMaxAgeMs?: number;
  /** Entries no reader asked for in this long are dropped (default 60 s). */
  idleMs?: number;
  log(message: string, err?: unknown): void;
  /** The clock (tests). */
  now?: () => number;
}

interface Entry<T> {
  object?: T;
  /** When the entry must be read again (0: never read). */
  staleAt: number;
  lastRead: number;
  reading: boolean;
}

const defaultIdleMs = 60_000;

export class FetchedObjects<T extends KubeObject> implements ObjectReader<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly handlers = new Set<(key: string) => void>();
  private readonly abort = new AbortController();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: FetchedObjectsOptions<T>) {
    this.now = options.now ?? Date.now;
    const idleMs = options.idleMs ?? defaultIdleMs;
    this.sweeper = setInterval(() => this.sweep(idleMs), idleMs);
    this.sweeper.unref();
  }

  get(key: string): T | undefined {
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { staleAt: 0, lastRead: 0, reading: false }));
    const now = this.now();
    entry.lastRead = now;
    if (!entry.reading && now >= entry.staleAt) void this.read(key, entry);
    return entry.object;
  }

  /** Reads the key again now (unless a read is under way): its readers know it changed. */
  refresh(key: string): void {
    const entry = this.entries.get(key);
    if (entry && !entry.reading) void this.read(key, entry);
  }

  /** GETs the key now (whatever the cached copy's age) and resolves with what the API said. */
  async fresh(key: string): Promise<T | undefined> {
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = { staleAt: 0, lastRead: 0, reading: false }));
    entry.lastRead = this.now();
    await this.read(key, entry);
    return entry.object;
  }

  /** What a write of ours answered: the freshest copy there is, kept unless the cache already has a newer one. */
  observe(object: T): void {
    const key = keyOf(object);
    const entry = this.entries.get(key);
    if (!entry || newer(entry.object, object)) return;
    this.store(key, entry, object);
  }

  /** Called with the key whenever a read found the object changed, appeared or gone. */
  onChange(handler: (key: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Ends the sweeper and every GET under way. */
  stop(): void {
    clearInterval(this.sweeper);
    this.abort.abort();
  }

  private async read(key: string, entry: Entry<T>): Promise<void> {
    if (this.abort.signal.aborted) return;
    entry.reading = true;
    try {
      let object: T | undefined;
      try {
        object = await this.options.client.getByKey(splitKey(key), { signal: this.abort.signal });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.store(key, entry, object && deepFreeze(object));
    } catch (err) {
      if (this.abort.signal.aborted) return;
      // Kept as it was, and not asked for again before the next freshness runs out: a failing API gets no storm.
      entry.staleAt = this.now() + this.options.maxAgeMs;
      const { resource } = this.options.client;
      this.options.log(`reading ${resource.plural} ${key} failed; will retry`, err);
    } finally {
      entry.reading = false;
    }
  }

  private store(key: string, entry: Entry<T>, object: T | undefined): void {
    const changed = entry.object?.metadata.resourceVersion !== object?.metadata.resourceVersion;
    // The same resourceVersion keeps the same cache object: readers memoize on object identity (populator.ts).
    if (changed) entry.object = object;
    const { maxAgeMs, waiting, waitingMaxAgeMs } = this.options;
    const age = waiting?.(object) ? (waitingMaxAgeMs ?? maxAgeMs) : maxAgeMs;
    // ±10 %: objects read together are not all read again in the same instant.
    entry.staleAt = this.now() + age * (0.9 + Math.random() * 0.2);
    if (changed) for (const handler of [...this.handlers]) handler(key);
  }

  private sweep(idleMs: number): void {
    const cutoff = this.now() - idleMs;
    for (const [key, entry] of this.entries) if (entry.lastRead < cutoff && !entry.reading) this.entries.delete(key);
  }
}

/** Whether the cached copy is newer than `object` (resourceVersions are etcd revisions: numbers). */
function newer(cached: KubeObject | undefined, object: KubeObject): boolean {
  const have = Number(cached?.metadata.resourceVersion ?? 0);
  const got = Number(object.metadata.resourceVersion ?? 0);
  return have > got;
}
