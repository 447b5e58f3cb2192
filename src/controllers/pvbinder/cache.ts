// The binder's caches keep the newest object they have seen, whether it came from an informer or from the
// answer to the binder's own write: an older object never replaces a newer one, and a deleted object is not
// brought back by a late answer. ObjectCache (claims) and the VolumeIndex (match.ts) both keep these rules.
import type { KubeObject } from "../../api/meta.js";

type Versioned = { metadata: { resourceVersion?: string } };

/**
 * resourceVersions are the store's revisions (decimal integers): true when `candidate` is older than `than`, as
 * upstream's storeObjectUpdate refuses to replace a cached object with an older one.
 */
export function isOlder(candidate: Versioned, than: Versioned): boolean {
  const a = candidate.metadata.resourceVersion ?? "";
  const b = than.metadata.resourceVersion ?? "";
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length < b.length : a < b;
}

/**
 * Recently deleted objects' last resourceVersions. A write the binder made just before a deletion can answer
 * after the informer's DELETED event; without this its (older) result would bring the object back into the cache.
 */
export class Tombstones {
  private readonly entries = new Map<string, Versioned>();
  constructor(private readonly max = 10_000) {}

  add(key: string, deleted: Versioned): void {
    this.entries.delete(key);
    this.entries.set(key, { metadata: { resourceVersion: deleted.metadata.resourceVersion } });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }

  /** True when `object` is not newer than the deletion of `key` (and so must stay deleted). */
  buries(key: string, object: Versioned): boolean {
    const tomb = this.entries.get(key);
    if (!tomb) return false;
    if (isOlder(tomb, object)) {
      this.entries.delete(key); // re-created since
      return false;
    }
    return true;
  }
}

/**
 * The binder's copy of an informer's objects, updated by the informer and by the binder's own writes, so the
 * next decision sees what was just written even before its watch event arrives. Older objects are ignored.
 */
export class ObjectCache<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly tombstones = new Tombstones();
  constructor(private readonly keyOf: (object: T) => string) {}

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  /** Every cached object's key, without copying objects (a resync pass over 100,000 claims). */
  keys(): IterableIterator<string> {
    return this.objects.keys();
  }

  upsert(object: T): boolean {
    const key = this.keyOf(object);
    const old = this.objects.get(key);
    if (old && isOlder(object, old)) return false;
    if (!old && this.tombstones.buries(key, object)) return false;
    this.objects.set(key, object);
    return true;
  }

  /** `deleted` (the object as the DELETED event carried it) keeps a late answer to our own write from reviving it. */
  remove(key: string, deleted?: T): void {
    this.objects.delete(key);
    if (deleted) this.tombstones.add(key, deleted);
  }
}
