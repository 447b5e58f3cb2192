// The check behind every figure that counts Bound claims: each claim Bound to its own PV, the PV bound back to it,
// the PV fits the claim, and it is the smallest fit: no volume left unclaimed at the end would have fitted the claim
// better (upstream's order: fewer access modes first, then smaller capacity). Written apart from the binder's code
// (src/api/storagerules) on purpose: a check that reuses the code it checks agrees with it whatever it does.
import type { PersistentVolume, PersistentVolumeClaim } from "../../src/api/core/types.js";
import { Quantity } from "../../src/api/quantity.js";
import { CheckFailed } from "../lib/bench.js";

const keyOf = (claim: PersistentVolumeClaim) => `${claim.metadata.namespace}/${claim.metadata.name}`;

/** Bytes of a storage quantity; throws on a missing one (a bench object always has it). */
function storageOf(list: Record<string, string> | undefined, what: string): bigint {
  const text = list?.storage;
  if (text === undefined) throw new CheckFailed(`${what} has no storage quantity`);
  return Quantity.parse(text, what).nano;
}

interface Rank {
  modes: number;
  size: bigint;
}
const better = (a: Rank, b: Rank) => a.modes < b.modes || (a.modes === b.modes && a.size < b.size);

/** The volume would fit the claim were it free: class, every access mode asked for, capacity ≥ request. */
function fits(claim: PersistentVolumeClaim, volume: PersistentVolume): boolean {
  if ((claim.spec.storageClassName ?? "") !== (volume.spec.storageClassName ?? "")) return false;
  const offered = new Set(volume.spec.accessModes ?? []);
  if (!(claim.spec.accessModes ?? []).every((mode) => offered.has(mode))) return false;
  return (
    storageOf(volume.spec.capacity, `PV ${volume.metadata.name}`) >=
    storageOf(claim.spec.resources?.requests, keyOf(claim))
  );
}

const rankOf = (volume: PersistentVolume): Rank => ({
  modes: new Set(volume.spec.accessModes ?? []).size,
  size: storageOf(volume.spec.capacity, `PV ${volume.metadata.name}`),
});

export interface BindingCheck {
  /** Also hold every claim to the smallest fit (only when every volume was Available before the claims came). */
  smallestFit: boolean;
}

/**
 * Throws CheckFailed unless every claim is Bound to a distinct PV that is bound back to it and fits it (and, with
 * smallestFit, no unclaimed volume would have fitted it better). Returns how many claims it checked.
 */
export function checkBindings(
  claims: readonly PersistentVolumeClaim[],
  volumes: readonly PersistentVolume[],
  options: BindingCheck,
): number {
  const byName = new Map(volumes.map((v) => [v.metadata.name ?? "", v]));
  const takenBy = new Map<string, string>();
  for (const claim of claims) {
    const key = keyOf(claim);
    if (claim.status?.phase !== "Bound")
      throw new CheckFailed(`claim ${key} is ${claim.status?.phase ?? "Pending"}, not Bound`);
    const name = claim.spec.volumeName;
    const volume = name ? byName.get(name) : undefined;
    if (!name || !volume)
      throw new CheckFailed(`claim ${key} is Bound to PV ${name ?? "(none)"}, which does not exist`);
    const other = takenBy.get(name);
    if (other) throw new CheckFailed(`claims ${other} and ${key} are both bound to PV ${name}`);
    takenBy.set(name, key);
    const ref = volume.spec.claimRef;
    if (
      ref?.namespace !== claim.metadata.namespace ||
      ref?.name !== claim.metadata.name ||
      ref?.uid !== claim.metadata.uid
    )
      throw new CheckFailed(`PV ${name} is not bound back to claim ${key} (claimRef ${ref?.namespace}/${ref?.name})`);
    if (volume.status?.phase !== "Bound")
      throw new CheckFailed(`PV ${name} of claim ${key} is ${volume.status?.phase}, not Bound`);
    if (!fits(claim, volume))
      throw new CheckFailed(`PV ${name} does not fit claim ${key} (class, access modes or size)`);
  }
  if (options.smallestFit) checkSmallestFit(claims, volumes, byName);
  return claims.length;
}

/** No volume that no claim took would have been a better fit for any claim. */
function checkSmallestFit(
  claims: readonly PersistentVolumeClaim[],
  volumes: readonly PersistentVolume[],
  byName: ReadonlyMap<string, PersistentVolume>,
): void {
  const free = volumes.filter((v) => !v.spec.claimRef);
  // Leftovers by (class, access modes): few groups, each sorted by size, so the check is not claims × volumes.
  const groups = new Map<string, PersistentVolume[]>();
  for (const v of free) {
    const key = `${v.spec.storageClassName ?? ""}|${[...new Set(v.spec.accessModes ?? [])].sort().join(",")}`;
    groups.set(key, [...(groups.get(key) ?? []), v]);
  }
  const sorted = [...groups.values()].map((g) =>
    g.map((v) => ({ v, rank: rankOf(v) })).sort((a, b) => (a.rank.size < b.rank.size ? -1 : 1)),
  );
  for (const claim of claims) {
    const chosen = rankOf(byName.get(claim.spec.volumeName ?? "") as PersistentVolume);
    const request = storageOf(claim.spec.resources?.requests, keyOf(claim));
    for (const group of sorted) {
      const first = group.find((entry) => entry.rank.size >= request);
      if (!first || !fits(claim, first.v) || !better(first.rank, chosen)) continue;
      throw new CheckFailed(
        `claim ${keyOf(claim)} got PV ${claim.spec.volumeName}, but PV ${first.v.metadata.name} was left free and fits it better`,
      );
    }
  }
}
