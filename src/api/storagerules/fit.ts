// Smallest fit: which volume a claim gets, as upstream's FindMatchingVolume (component-helpers/storage/volume/
// pv_helpers.go) decides it and in the order the PV controller's findByClaim (pkg/controller/volume/
// persistentvolume/index.go) tries volumes. Two pieces, used by every part that picks a volume:
// - fitFor(claim)(volume): how one volume stands toward the claim (the per-volume decision);
// - compareFit: which of two fitting volumes is preferred (the order).
// The PV binder's index (controllers/pvbinder/match.ts) walks its buckets with these; the scheduler's volume
// binding (scheduler/volumebinding.ts) ranks a claim's candidates with these; findMatchingVolume below scans a
// plain list with these. So for the same volumes, claim and node they all pick the same volume.
//
// The rules, as upstream:
// - a volume whose claimRef names another claim (bound, or pre-bound by name) is never a candidate;
// - a volume pre-bound to this claim (claimRef names it, UID unset or equal) wins over every free one whatever
//   its class, selector or phase, if it is big enough, has the claim's volumeMode and access modes and is not
//   being deleted; if it cannot reach the given node, nothing fits the claim on that node;
// - otherwise, unless binding is delayed (WaitForFirstConsumer) and no node is given, the preferred Available
//   volume of the claim's class whose capacity ≥ request, access modes ⊇ the claim's, same volumeMode, labels
//   matching the claim's selector, not being deleted and (with a node) whose node affinity admits the node.
// The order: the smallest access-mode set first (findByClaim tries the claim's exact set before larger ones, so a
// RWO claim does not take a RWO+ROX volume while a RWO one fits), then the smallest capacity, then the name.
// Upstream's scheduler path scans every mode set at once and checks a pre-bound volume's access modes only
// through the controller's index; here both paths use the controller's rules, so they cannot disagree.
import type { PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import type { NodeLabels } from "../selectors/nodeselector.js";
import { checkNodeAffinity, claimSelector } from "./affinity.js";
import { claimRequest, volumeCapacity } from "./capacity.js";
import { claimClass, volumeClass } from "./class.js";
import { isVolumeBoundToClaim } from "./claimref.js";
import { ReachIndex } from "./reach.js";
import { accessModesKey, checkAccessModes, checkVolumeModeMismatches } from "./modes.js";

export interface MatchOptions {
  /** The claim's class binds WaitForFirstConsumer: without a node only a pre-bound volume may be returned. */
  delayBinding?: boolean;
  /** The node the claim's pod goes to (the scheduler's path, or the binder's for a claim with a selected node). */
  node?: NodeLabels;
}

/**
 * How one volume stands toward one claim:
 * - "no": not for this claim;
 * - "free": an unclaimed volume that fits, a smallest-fit candidate;
 * - "preBound": pre-bound to this claim and fits: it wins over every free volume;
 * - "preBoundOffNode": pre-bound to this claim but its node affinity refuses the given node: the claim cannot go
 *   to that node at all.
 */
export type VolumeFit = "no" | "free" | "preBound" | "preBoundOffNode";

/**
 * Why a volume is not for a claim, one name per rule of FindMatchingVolume, in the order they are checked: what
 * `stowage explain` prints for every candidate volume. fitFor answers "no" for exactly these, so explain and the
 * binder can never disagree.
 */
export type Misfit =
  | "ClaimedByAnother"
  | "TooSmall"
  | "VolumeModeMismatch"
  | "BeingDeleted"
  | "AccessModesMismatch"
  | "WaitingForNode"
  | "NotAvailable"
  | "SelectorMismatch"
  | "ClassMismatch"
  | "NodeAffinityMismatch";

/** fitVerdictFor's answer: how the volume fits, or the first rule it fails. */
export type FitVerdict = Exclude<VolumeFit, "no"> | Misfit;

/**
 * The per-volume decision of FindMatchingVolume for one claim, with the rule a volume fails: class, request and
 * selector are worked out once. Throws ClaimSelectorError when the claim's selector cannot be used (upstream:
 * nothing is matched then).
 */
export function fitVerdictFor(
  claim: PersistentVolumeClaim,
  options: MatchOptions = {},
): (volume: PersistentVolume) => FitVerdict {
  const { node, delayBinding } = options;
  const request = claimRequest(claim);
  const className = claimClass(claim);
  const selector = claimSelector(claim);
  return (volume) => {
    const spec = volume.spec;
    if (spec.claimRef && !isVolumeBoundToClaim(volume, claim)) return "ClaimedByAnother";
    if (volumeCapacity(volume).cmp(request) < 0) return "TooSmall";
    if (checkVolumeModeMismatches(claim.spec, spec)) return "VolumeModeMismatch";
    if (volume.metadata.deletionTimestamp) return "BeingDeleted";
    if (!checkAccessModes(claim, volume)) return "AccessModesMismatch";
    if (spec.claimRef) return !node || checkNodeAffinity(volume, node) ? "preBound" : "preBoundOffNode";
    // The PV controller leaves delayed claims to the scheduler, which comes with a node.
    if (!node && delayBinding) return "WaitingForNode";
    // Volumes in other phases are about to change; binding them now mostly meets conflicts (upstream skips them).
    if (volume.status?.phase !== "Available") return "NotAvailable";
    if (selector && !selector.matches(volume.metadata.labels)) return "SelectorMismatch";
    if (volumeClass(volume) !== className) return "ClassMismatch";
    if (node && !checkNodeAffinity(volume, node)) return "NodeAffinityMismatch";
    return "free";
  };
}

/** The per-volume decision of FindMatchingVolume for one claim, without the why (fitVerdictFor's rules). */
export function fitFor(
  claim: PersistentVolumeClaim,
  options: MatchOptions = {},
): (volume: PersistentVolume) => VolumeFit {
  const verdict = fitVerdictFor(claim, options);
  return (volume) => {
    const answer = verdict(volume);
    return answer === "free" || answer === "preBound" || answer === "preBoundOffNode" ? answer : "no";
  };
}

/** Where a volume stands in smallest-fit order. */
export interface FitRank {
  /** accessModesKey of the volume's modes, and how many distinct modes that is. */
  modes: string;
  modeCount: number;
  /** Capacity in nano-units (Quantity.nano). */
  size: bigint;
  name: string;
}

export function fitRank(volume: PersistentVolume): FitRank {
  const modes = accessModesKey(volume.spec.accessModes);
  return {
    modes,
    modeCount: modes === "" ? 0 : modes.indexOf(",") < 0 ? 1 : modes.split(",").length,
    size: volumeCapacity(volume).nano,
    name: volume.metadata.name ?? "",
  };
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The first half of the order: fewer access modes first; equally many by name, so the order is total. */
export function compareModeSets(
  a: Pick<FitRank, "modes" | "modeCount">,
  b: Pick<FitRank, "modes" | "modeCount">,
): number {
  return a.modeCount - b.modeCount || compareStrings(a.modes, b.modes);
}

/** The second half: within one access-mode set, the smallest capacity; equal capacities by name. */
export function compareSizeThenName(a: Pick<FitRank, "size" | "name">, b: Pick<FitRank, "size" | "name">): number {
  return a.size < b.size ? -1 : a.size > b.size ? 1 : compareStrings(a.name, b.name);
}

/** Smallest-fit order: negative when `a` is preferred over `b`. */
export function compareFit(a: FitRank, b: FitRank): number {
  return compareModeSets(a, b) || compareSizeThenName(a, b);
}

export interface FindOptions extends MatchOptions {
  /** Volumes already chosen for other claims of the same pod (the scheduler's excludedVolumes), by name. */
  excluded?: ReadonlySet<string>;
}

/**
 * FindMatchingVolume over a plain list: the volume the claim gets, or undefined when none fits. The binder's
 * index answers the same without looking at every volume; the scheduler splits it into the node-independent
 * matchCandidates and the per-node pickForNode.
 */
export function findMatchingVolume(
  claim: PersistentVolumeClaim,
  volumes: Iterable<PersistentVolume>,
  options: FindOptions = {},
): PersistentVolume | undefined {
  const fit = fitFor(claim, options);
  let preBound: { rank: FitRank; volume: PersistentVolume; reachable: boolean } | undefined;
  let free: { rank: FitRank; volume: PersistentVolume } | undefined;
  for (const volume of volumes) {
    if (options.excluded?.has(volume.metadata.name ?? "")) continue;
    const answer = fit(volume);
    if (answer === "no") continue;
    const rank = fitRank(volume);
    if (answer === "free") {
      if (!free || compareFit(rank, free.rank) < 0) free = { rank, volume };
    } else if (!preBound || compareFit(rank, preBound.rank) < 0) {
      preBound = { rank, volume, reachable: answer === "preBound" };
    }
  }
  if (preBound) return preBound.reachable ? preBound.volume : undefined;
  return free?.volume;
}

/** What a claim could take before a node is known, each list in smallest-fit order. */
export interface Candidates {
  /** Volumes pre-bound to the claim that fit it: the first one decides. */
  preBound: PersistentVolume[];
  /** Free volumes that fit the claim on some node. */
  free: PersistentVolume[];
  /** `free` indexed by what each needs of a node, built on the first per-node question. */
  reach?: ReachIndex;
}

/** The node-independent half of findMatchingVolume: worked out once per claim, then asked per node. */
export function matchCandidates(
  claim: PersistentVolumeClaim,
  volumes: Iterable<PersistentVolume>,
  options: Pick<MatchOptions, "delayBinding"> = {},
): Candidates {
  const fit = fitFor(claim, { delayBinding: options.delayBinding });
  const preBound: { rank: FitRank; volume: PersistentVolume }[] = [];
  const free: { rank: FitRank; volume: PersistentVolume }[] = [];
  for (const volume of volumes) {
    const answer = fit(volume);
    if (answer === "free") free.push({ rank: fitRank(volume), volume });
    else if (answer === "preBound") preBound.push({ rank: fitRank(volume), volume });
  }
  const inOrder = (list: { rank: FitRank; volume: PersistentVolume }[]) =>
    list.sort((a, b) => compareFit(a.rank, b.rank)).map((entry) => entry.volume);
  return { preBound: inOrder(preBound), free: inOrder(free) };
}

/**
 * The per-node half: the first pre-bound volume decides (it, if it can reach the node, else nothing); without
 * one, the first free volume the node can reach that no other claim of the pod was given.
 */
export function pickForNode(
  candidates: Candidates,
  node: NodeLabels | undefined,
  excluded?: ReadonlySet<string>,
): PersistentVolume | undefined {
  const open = (volume: PersistentVolume) => !excluded?.has(volume.metadata.name ?? "");
  const reaches = (volume: PersistentVolume) => !node || checkNodeAffinity(volume, node);
  const preBound = candidates.preBound.find(open);
  if (preBound) return reaches(preBound) ? preBound : undefined;
  candidates.reach ??= new ReachIndex(candidates.free);
  return candidates.reach.first(node, open);
}
