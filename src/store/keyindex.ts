// Current values in memory, in key order: what get, list and count read in both in-process backends.
// Upstream's apiserver serves lists from its watch cache for the same reason: a list of 10,000 objects from
// memory costs well under a millisecond, from SQLite tens of milliseconds (one Buffer per row).
//
// Keys are kept in a sorted array. New keys go to an unsorted tail and deleted keys stay behind as stale
// entries until the next read that needs order merges them (sort the tail, merge, drop stale and duplicates),
// so a burst of creates costs O(1) each instead of an O(n) array insert, and a list pays one merge.

import { prefixEnd } from "./keys.js";
import type { KeyValue } from "./store.js";

export class KeyIndex<T extends KeyValue = KeyValue> {
  private readonly values = new Map<string, T>();
  private sorted: string[] = [];
  private tail: string[] = [];
  private stale = 0;

  get size(): number {
    return this.values.size;
  }

  get(key: string): T | undefined {
    return this.values.get(key);
  }

  /** Stores `kv` as the key's current value. */
  set(kv: T): void {
    if (!this.values.has(kv.key)) this.tail.push(kv.key);
    this.values.set(kv.key, kv);
  }

  delete(key: string): void {
    if (this.values.delete(key)) this.stale++;
  }

  /** Current values under `prefix`, strictly after `after` when given, in key order; at most `limit`. */
  range(prefix: string, after: string | undefined, limit: number): T[] {
    this.order();
    const end = prefixEnd(prefix);
    const out: T[] = [];
    let i = after !== undefined && after >= prefix ? this.upperBound(after) : this.lowerBound(prefix);
    for (; i < this.sorted.length && out.length < limit; i++) {
      const key = this.sorted[i];
      if (end !== undefined && key >= end) break;
      out.push(this.values.get(key)!);
    }
    return out;
  }

  count(prefix: string): number {
    this.order();
    const end = prefixEnd(prefix);
    return (end === undefined ? this.sorted.length : this.lowerBound(end)) - this.lowerBound(prefix);
  }

  /** Folds new keys into the sorted array and drops deleted ones. */
  private order(): void {
    if (this.tail.length === 0 && this.stale === 0) return;
    const tail = this.tail.sort(); // default sort compares UTF-16 code units, the order we list in
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < this.sorted.length || j < tail.length) {
      const key =
        j >= tail.length || (i < this.sorted.length && this.sorted[i] < tail[j]) ? this.sorted[i++] : tail[j++];
      // A key deleted and created again sits in both lists; a deleted one in neither map.
      if (merged.length > 0 && merged[merged.length - 1] === key) continue;
      if (this.values.has(key)) merged.push(key);
    }
    this.sorted = merged;
    this.tail = [];
    this.stale = 0;
  }

  /** Index of the first key >= `key`. */
  private lowerBound(key: string): number {
    return partitionPoint(this.sorted, (each) => each < key);
  }

  /** Index of the first key > `key`. */
  private upperBound(key: string): number {
    return partitionPoint(this.sorted, (each) => each <= key);
  }
}

/**
 * A page of `index` as of an older revision: `changed` maps each key written since then to its value at that
 * revision (undefined: it did not exist); keys outside the page's prefix and `after` are ignored. Reads just enough current keys that, once the changed
 * ones are taken out, limit + 1 unchanged ones remain, so `more` is exact.
 */
export function rangeAt(
  index: KeyIndex<KeyValue>,
  prefix: string,
  after: string | undefined,
  limit: number,
  changed: ReadonlyMap<string, KeyValue | undefined>,
): { items: KeyValue[]; more: boolean } {
  let items: KeyValue[] = index.range(prefix, after, limit + 1 + changed.size);
  if (changed.size > 0) {
    // Both sides are in key order: merge rather than sort the whole page.
    const current = items.filter((kv) => !changed.has(kv.key));
    const inPage = (key: string) => key.startsWith(prefix) && (after === undefined || key > after);
    const older = [...changed.values()].filter((kv): kv is KeyValue => kv !== undefined && inPage(kv.key));
    older.sort((a, b) => (a.key < b.key ? -1 : 1)); // distinct keys
    items = [];
    let i = 0;
    let j = 0;
    while (i < current.length || j < older.length) {
      items.push(
        j >= older.length || (i < current.length && current[i].key < older[j].key) ? current[i++] : older[j++],
      );
    }
  }
  const more = items.length > limit;
  if (more) items.length = limit;
  return { items, more };
}

/** Index of the first item for which `before` is false, in items where it is true up to some point and false after. */
export function partitionPoint<T>(items: readonly T[], before: (item: T) => boolean): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(items[mid])) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
