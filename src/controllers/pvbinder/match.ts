// The binder's index of volumes for smallest fit (upstream's persistentVolumeOrderedIndex.findByClaim). Which
// volume fits a claim, and which of several is preferred, is decided by src/api/storagerules/fit.ts — the same
// fitFor and compareFit the scheduler's volume binding and the plain-list findMatchingVolume use — so the binder
// and the scheduler agree on the volume; this file only makes finding it cheap.
//
// Unlike upstream (which scans every volume per claim), volumes without a claimRef are kept in buckets by class
// and access-mode set, each sorted by capacity then name: a claim binary-searches to its size in each bucket
// whose set holds its modes (fewest modes first: compareFit's order) and walks forward over the few volumes
// fitFor refuses. Volumes with a claimRef are never free, so they are kept apart in a claimRef index: a claim
// looks only at those that name it, for a pre-bound one.
import type { PersistentVolume, PersistentVolumeAccessMode, PersistentVolumeClaim } from "../../api/core/types.js";
import { volumeClass, claimClass } from "../../api/storagerules/class.js";
import { claimRequest } from "../../api/storagerules/capacity.js";
import type { FitRank, MatchOptions } from "../../api/storagerules/fit.js";
import { compareFit, compareModeSets, compareSizeThenName, fitFor, fitRank } from "../../api/storagerules/fit.js";
import { containsAllAccessModes } from "../../api/storagerules/modes.js";
import { Tombstones, isOlder } from "./cache.js";
import { claimRefKey } from "./volumeutil.js";

interface Entry {
  size: bigint;
  name: string;
  volume: PersistentVolume;
}

/** The free volumes of one class with one access-mode set, by capacity then name once sorted. */
interface Bucket extends Pick<FitRank, "modes" | "modeCount"> {
  accessModes: readonly PersistentVolumeAccessMode[];
  entries: Entry[];
  sorted: boolean;
}

/**
 * The binder's view of every volume: the informer's objects, plus what the binder itself just wrote (or is about
 * to write), so a volume being bound is not offered to a second claim before the watch catches up. An object
 * older than the one held is ignored, as upstream's storeObjectUpdate does.
 */
export class VolumeIndex {
  private readonly volumes = new Map<string, PersistentVolume>();
  private readonly assumed = new Set<string>();
  private readonly byClaimRef = new Map<string, Set<string>>();
  private readonly buckets = new Map<string, Map<string, Bucket>>();
  private readonly tombstones = new Tombstones();

  get size(): number {
    return this.volumes.size;
  }

  get(name: string): PersistentVolume | undefined {
    return this.volumes.get(name);
  }

  list(): PersistentVolume[] {
    return [...this.volumes.values()];
  }

  /** Every volume's name (a resync pass). */
  names(): IterableIterator<string> {
    return this.volumes.keys();
  }

  /** Volumes whose claimRef names namespace/name (whatever its UID). */
  referencing(namespace: string, name: string): PersistentVolume[] {
    const names = this.byClaimRef.get(`${namespace}/${name}`);
    return names ? [...names].flatMap((n) => this.volumes.get(n) ?? []) : [];
  }

  /** Takes a volume from the informer or from a write's answer; false when it was older than the one held. */
  upsert(volume: PersistentVolume): boolean {
    const name = volume.metadata.name ?? "";
    const old = this.volumes.get(name);
    if (old) {
      if (isOlder(volume, old)) return false;
      // A resync re-delivers the object we based an in-flight write on: keep our assumption.
      if (this.assumed.has(name) && volume.metadata.resourceVersion === old.metadata.resourceVersion) return false;
      this.unindex(old);
    } else if (this.tombstones.buries(name, volume)) return false;
    this.assumed.delete(name);
    this.volumes.set(name, volume);
    this.index(volume);
    return true;
  }

  /** `deleted` (the object the DELETED event carried) keeps a late answer to our own write from reviving it. */
  remove(name: string, deleted?: PersistentVolume): void {
    if (deleted) this.tombstones.add(name, deleted);
    const old = this.volumes.get(name);
    if (!old) return;
    this.unindex(old);
    this.volumes.delete(name);
    this.assumed.delete(name);
  }

  /**
   * Holds `next` (same resourceVersion as the cached object, changes not yet written) until a newer object
   * arrives. Returns a function that puts the previous object back if the write failed.
   */
  assume(next: PersistentVolume): () => void {
    const name = next.metadata.name ?? "";
    const previous = this.volumes.get(name);
    if (previous) this.unindex(previous);
    this.volumes.set(name, next);
    this.assumed.add(name);
    this.index(next);
    return () => {
      if (this.volumes.get(name) !== next) return; // something newer arrived meanwhile: keep it
      this.unindex(next);
      this.assumed.delete(name);
      if (previous) {
        this.volumes.set(name, previous);
        this.index(previous);
      } else this.volumes.delete(name);
    };
  }

  /**
   * findByClaim: the volume fitFor and compareFit pick among all of this index's volumes — what
   * findMatchingVolume(claim, index.list(), options) returns. Throws ClaimSelectorError for an unusable selector.
   */
  findBestMatch(claim: PersistentVolumeClaim, options: MatchOptions = {}): PersistentVolume | undefined {
    const fit = fitFor(claim, options);
    const preBound = this.preBoundTo(claim, fit);
    if (preBound) return preBound.fits ? preBound.volume : undefined;
    // fitFor refuses every free volume then: do not walk them.
    if (!options.node && options.delayBinding) return undefined;
    const classBuckets = this.buckets.get(claimClass(claim));
    if (!classBuckets) return undefined;
    const wanted = claim.spec.accessModes;
    const buckets = [...classBuckets.values()]
      .filter((bucket) => containsAllAccessModes(bucket.accessModes, wanted))
      .sort(compareModeSets);
    const request = claimRequest(claim).nano;
    for (const bucket of buckets) {
      if (!bucket.sorted) {
        bucket.entries.sort(compareSizeThenName);
        bucket.sorted = true;
      }
      const { entries } = bucket;
      // Smaller volumes never fit; from the first big enough one, the first that fits is the smallest fit.
      for (let i = lowerBound(entries, request); i < entries.length; i++) {
        if (fit(entries[i].volume) === "free") return entries[i].volume;
      }
    }
    return undefined;
  }

  /** The first (in compareFit's order) volume pre-bound to the claim that fitFor does not refuse. */
  private preBoundTo(
    claim: PersistentVolumeClaim,
    fit: ReturnType<typeof fitFor>,
  ): { volume: PersistentVolume; fits: boolean } | undefined {
    let best: { volume: PersistentVolume; fits: boolean; rank: FitRank } | undefined;
    for (const volume of this.referencing(claim.metadata.namespace ?? "", claim.metadata.name ?? "")) {
      const answer = fit(volume);
      if (answer !== "preBound" && answer !== "preBoundOffNode") continue;
      const rank = fitRank(volume);
      if (!best || compareFit(rank, best.rank) < 0) best = { volume, fits: answer === "preBound", rank };
    }
    return best;
  }

  private index(volume: PersistentVolume): void {
    const name = volume.metadata.name ?? "";
    const ref = volume.spec.claimRef;
    if (ref) {
      const key = claimRefKey(ref);
      let names = this.byClaimRef.get(key);
      if (!names) this.byClaimRef.set(key, (names = new Set()));
      names.add(name);
      return; // claimed (or pre-bound): never a smallest-fit candidate for anyone else
    }
    const rank = fitRank(volume);
    const bucket = this.bucketOf(volume, rank);
    const entry = { size: rank.size, name, volume };
    const { entries } = bucket;
    // Appending keeps a bulk load cheap; the next search sorts once.
    if (bucket.sorted && entries.length > 0 && compareSizeThenName(entries[entries.length - 1], entry) > 0) {
      bucket.sorted = false;
    }
    entries.push(entry);
  }

  private unindex(volume: PersistentVolume): void {
    const name = volume.metadata.name ?? "";
    const ref = volume.spec.claimRef;
    if (ref) {
      const key = claimRefKey(ref);
      const names = this.byClaimRef.get(key);
      names?.delete(name);
      if (names?.size === 0) this.byClaimRef.delete(key);
      return;
    }
    const rank = fitRank(volume);
    const bucket = this.buckets.get(volumeClass(volume))?.get(rank.modes);
    if (!bucket) return;
    const { entries } = bucket;
    let at = -1;
    if (bucket.sorted) {
      // By size then name: thousands of volumes of one size share a bucket at scale, so no walk over them.
      const i = lowerBoundEntry(entries, { size: rank.size, name });
      if (i < entries.length && entries[i].name === name) at = i;
    } else at = entries.findIndex((entry) => entry.name === name);
    if (at >= 0) entries.splice(at, 1);
  }

  private bucketOf(volume: PersistentVolume, rank: FitRank): Bucket {
    const className = volumeClass(volume);
    let classBuckets = this.buckets.get(className);
    if (!classBuckets) this.buckets.set(className, (classBuckets = new Map()));
    let bucket = classBuckets.get(rank.modes);
    if (!bucket) {
      const { modes, modeCount } = rank;
      const accessModes = [...new Set(volume.spec.accessModes)];
      bucket = { modes, modeCount, accessModes, entries: [], sorted: true };
      classBuckets.set(modes, bucket);
    }
    return bucket;
  }
}

/** The first entry not before `key` in compareSizeThenName's order. */
function lowerBoundEntry(entries: readonly Entry[], key: Pick<Entry, "size" | "name">): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareSizeThenName(entries[mid], key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first entry whose size is ≥ size. */
function lowerBound(entries: readonly Entry[], size: bigint): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].size < size) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
