// Smallest fit, as upstream's persistentVolumeOrderedIndex.findByClaim + FindMatchingVolume
// (pkg/controller/volume/persistentvolume/index.go, component-helpers/storage/volume/pv_helpers.go):
// - a volume pre-bound to this claim (claimRef names it, UID unset or equal) wins whatever its class, selector
//   or phase, if it is big enough, has the claim's volumeMode and is not being deleted;
// - otherwise, unless binding is delayed (WaitForFirstConsumer without a node), the smallest Available volume
//   of the claim's class whose access modes are a superset, capacity ≥ request, same volumeMode, labels match
//   the claim's selector, not being deleted, and (with a node) whose node affinity admits that node.
// Access-mode sets are tried smallest first, as upstream: a RWO claim takes a RWO volume before a RWO+ROX one.
//
// Unlike upstream (which scans every volume per claim), volumes without a claimRef are kept in buckets by
// class and access-mode set, each sorted by capacity: a claim binary-searches to its size and walks forward
// over the few ineligible ones. Pre-bound volumes are found through a claimRef index.
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import type { LabelMatcher } from "../../api/selectors/labels.js";
import { labelMatcherFromSelector } from "../../api/selectors/labels.js";
import { nodeSelectorMatches, type NodeLabels } from "../../api/selectors/nodeselector.js";
import { Tombstones } from "./context.js";
import {
  accessModesKey,
  capacityOf,
  checkAccessModes,
  claimClass,
  claimKey,
  claimRefKey,
  isOlder,
  isVolumeBoundToClaim,
  requestOf,
  volumeClass,
  volumeModeMismatch,
} from "./volumeutil.js";

/** The node a WaitForFirstConsumer claim was scheduled to: its name and labels, for PV node affinity. */
export type NodeInfo = NodeLabels;

export interface MatchOptions {
  /** The claim's class is WaitForFirstConsumer: without a node only a pre-bound volume may be returned. */
  delayBinding?: boolean;
  /** The scheduler's path: the node the claim's pod goes to. */
  node?: NodeInfo;
}

/** A claim's selector failed to convert: upstream's "error creating internal label selector for claim". */
export class ClaimSelectorError extends Error {
  constructor(claim: PersistentVolumeClaim, cause: unknown) {
    super(
      `error creating internal label selector for claim: ${claimKey(claim)}: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** CheckNodeAffinity: the volume has no required node affinity, or one of its terms admits the node. */
export function checkNodeAffinity(volume: PersistentVolume, node: NodeInfo): boolean {
  const required = volume.spec.nodeAffinity?.required;
  if (!required) return true;
  return nodeSelectorMatches(required, node);
}

function selectorOf(claim: PersistentVolumeClaim): LabelMatcher | undefined {
  if (!claim.spec.selector) return undefined;
  try {
    return labelMatcherFromSelector(claim.spec.selector);
  } catch (err) {
    throw new ClaimSelectorError(claim, err);
  }
}

/** The checks a pre-bound volume must still pass (FindMatchingVolume's before the IsVolumeBoundToClaim return). */
function preBoundFits(claim: PersistentVolumeClaim, volume: PersistentVolume): boolean {
  return (
    capacityOf(volume).cmp(requestOf(claim)) >= 0 &&
    !volumeModeMismatch(claim.spec, volume.spec) &&
    !volume.metadata.deletionTimestamp &&
    // upstream reaches only volumes in an access-mode index that contains the claim's modes
    checkAccessModes(claim, volume)
  );
}

/** The checks an unclaimed volume of the right class, modes and size must pass. */
function unclaimedFits(
  claim: PersistentVolumeClaim,
  volume: PersistentVolume,
  selector: LabelMatcher | undefined,
  node: NodeInfo | undefined,
): boolean {
  if (volume.status?.phase !== "Available") return false; // others are about to change; binding them races
  if (selector && !selector.matches(volume.metadata.labels)) return false;
  if (volumeModeMismatch(claim.spec, volume.spec)) return false;
  if (volume.metadata.deletionTimestamp) return false;
  if (node && !checkNodeAffinity(volume, node)) return false;
  return true;
}

/**
 * FindMatchingVolume over a plain list: the reference the index must agree with (and what the scheduler can
 * call with a node). Returns undefined when nothing fits.
 */
export function findMatchingVolume(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  options: MatchOptions = {},
): PersistentVolume | undefined {
  const index = new VolumeIndex();
  for (const volume of volumes) index.upsert(volume);
  return index.findBestMatch(claim, options);
}

interface Entry {
  size: bigint;
  name: string;
  volume: PersistentVolume;
}

interface Bucket {
  modes: number;
  key: string;
  entries: Entry[];
  sorted: boolean;
}

const byCapacityThenName = (a: Entry, b: Entry): number =>
  a.size < b.size ? -1 : a.size > b.size ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

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

  /** findByClaim: see the file comment for the rules. Throws ClaimSelectorError for an unusable selector. */
  findBestMatch(claim: PersistentVolumeClaim, options: MatchOptions = {}): PersistentVolume | undefined {
    const { node, delayBinding } = options;
    for (const volume of this.referencing(claim.metadata.namespace ?? "", claim.metadata.name ?? "")) {
      if (!isVolumeBoundToClaim(volume, claim) || !preBoundFits(claim, volume)) continue;
      // A pre-bound volume that cannot go to the node means the claim cannot either.
      if (node && !checkNodeAffinity(volume, node)) return undefined;
      return volume;
    }
    // The PV controller leaves delayed claims to the scheduler, which comes with a node.
    if (!node && delayBinding) return undefined;
    const selector = selectorOf(claim);
    const classBuckets = this.buckets.get(claimClass(claim));
    if (!classBuckets) return undefined;
    const wanted = claim.spec.accessModes ?? [];
    const candidates = [...classBuckets.values()]
      .filter((bucket) => wanted.every((mode) => bucket.key.split(",").includes(mode)))
      .sort((a, b) => a.modes - b.modes || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const request = requestOf(claim).nano;
    for (const bucket of candidates) {
      if (!bucket.sorted) {
        bucket.entries.sort(byCapacityThenName);
        bucket.sorted = true;
      }
      const { entries } = bucket;
      for (let i = lowerBound(entries, request); i < entries.length; i++) {
        if (unclaimedFits(claim, entries[i].volume, selector, node)) return entries[i].volume;
      }
    }
    return undefined;
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
    const bucket = this.bucketOf(volume, true);
    const entry = { size: capacityOf(volume).nano, name, volume };
    const { entries } = bucket;
    // Appending keeps a bulk load cheap; the next search sorts once.
    if (bucket.sorted && entries.length > 0 && byCapacityThenName(entries[entries.length - 1], entry) > 0) {
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
    const bucket = this.bucketOf(volume, false);
    if (!bucket) return;
    const { entries } = bucket;
    let at = -1;
    if (bucket.sorted) {
      const size = capacityOf(volume).nano;
      for (let i = lowerBound(entries, size); i < entries.length && entries[i].size === size; i++) {
        if (entries[i].name === name) {
          at = i;
          break;
        }
      }
    } else at = entries.findIndex((entry) => entry.name === name);
    if (at >= 0) entries.splice(at, 1);
  }

  private bucketOf(volume: PersistentVolume, create: true): Bucket;
  private bucketOf(volume: PersistentVolume, create: false): Bucket | undefined;
  private bucketOf(volume: PersistentVolume, create: boolean): Bucket | undefined {
    const className = volumeClass(volume);
    const key = accessModesKey(volume.spec.accessModes);
    let classBuckets = this.buckets.get(className);
    if (!classBuckets) {
      if (!create) return undefined;
      this.buckets.set(className, (classBuckets = new Map()));
    }
    let bucket = classBuckets.get(key);
    if (!bucket && create) {
      bucket = { modes: key === "" ? 0 : key.split(",").length, key, entries: [], sorted: true };
      classBuckets.set(key, bucket);
    }
    return bucket;
  }
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
