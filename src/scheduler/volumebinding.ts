// kube-scheduler's VolumeBinding plugin (pkg/scheduler/framework/plugins/volumebinding): PreFilter sorts the pod's
// claims into bound, unbound-immediate and unbound-delayed (WaitForFirstConsumer); Filter checks, per node, that
// bound volumes' node affinity admits the node and that every delayed claim either matches a static PV reachable
// from the node or can be provisioned there (allowedTopologies, CSIStorageCapacity). The decision is pure: it
// reads a VolumeView (the informers' caches plus what this scheduler assumed) and returns reasons or a plan.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import { podVolumeClaims, volumeIsForPod, waitingForEphemeralClaim } from "../api/core/ephemeral.js";
import { tryParseQuantity } from "../api/quantity.js";
import { labelMatcherFromSelector, type LabelMatcher } from "../api/selectors/labels.js";
import type { CSIDriver, CSIStorageCapacity, StorageClass } from "../api/storage/types.js";
import { checkNodeAffinity, ClaimSelectorError } from "../api/storagerules/affinity.js";
import { claimRequest } from "../api/storagerules/capacity.js";
import { claimClass, isDelayBindingMode, volumeClass } from "../api/storagerules/class.js";
import type { Candidates } from "../api/storagerules/fit.js";
import { matchCandidates, pickForNode } from "../api/storagerules/fit.js";
import { AnnBindCompleted, AnnSelectedNode } from "../api/wellknown.js";
import type { FilterStatus } from "./filters.js";
import { nodeLabelsOf, topologyTermsMatch, type NodeLabels } from "../api/selectors/nodeselector.js";
import { ReachIndex } from "../api/storagerules/reach.js";
import type { SharedCandidates } from "./freevolumes.js";

export const ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind";
export const ErrReasonNodeConflict = "node(s) had volume node affinity conflict";
export const ErrReasonNotEnoughSpace = "node(s) did not have enough free storage";
export const ErrReasonPVNotExist = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
export const MsgUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims";
export const claimNotFound = (name: string): string => `persistentvolumeclaim "${name}" not found`;
export const claimBeingDeleted = (name: string): string => `persistentvolumeclaim "${name}" is being deleted`;
/** The provisioner name of classes for volumes that are never provisioned (local PVs). */
export const NotSupportedProvisioner = "kubernetes.io/no-provisioner";

/** Read access to what the informers hold (plus assumptions); the scheduler's wiring implements it. */
export interface VolumeView {
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined;
  volume(name: string): PersistentVolume | undefined;
  /** Every volume of a class (by spec.storageClassName or the beta annotation). */
  volumesOfClass(className: string): readonly PersistentVolume[];
  storageClass(name: string): StorageClass | undefined;
  csiDriver(name: string): CSIDriver | undefined;
  /** The class's CSIStorageCapacity objects that may be the node's (at least those whose topology admits it). */
  capacities(className: string, node: Node): readonly CSIStorageCapacity[];
  /** The claim key ("ns/name") a volume was assumed for by this scheduler and not yet seen bound, if any. */
  assumedClaimOf(volumeName: string): string | undefined;
  /**
   * The three below together (the scheduler's cache has them): free candidates shared by claims alike, whether a
   * shared one is still free, and the volumes whose claimRef (or this scheduler's assumption) names a claim.
   * Without them a claim's candidates are worked out from volumesOfClass.
   */
  freeCandidates?(claim: PersistentVolumeClaim): SharedCandidates;
  isFree?(volume: PersistentVolume): boolean;
  volumesClaimedBy?(claimKey: string): readonly PersistentVolume[];
}

/** A claim's candidates; `isOpen` says whether a shared free one is still free. */
export interface ClaimCandidates extends Candidates {
  isOpen?: (volume: PersistentVolume) => boolean;
  /**
   * `free` by node name (prescreen.ts): the volumes, in list order, whose node affinity may admit the node. When
   * set, a node reaches no volume outside its list.
   */
  byNode?: ReadonlyMap<string, readonly PersistentVolume[]>;
  /** Volumes of `byNode` that reach every node they are listed under (their affinity need not be checked). */
  reachesListedNodes?: ReadonlySet<PersistentVolume>;
}

export interface PodClaims {
  bound: PersistentVolumeClaim[];
  /** Unbound WaitForFirstConsumer claims, smallest request first (upstream's byPVCSize). */
  delayed: PersistentVolumeClaim[];
  /** Per delayed claim, its node-independent candidates: computed on the first node, reused on the others. */
  candidates?: Map<PersistentVolumeClaim, ClaimCandidates>;
}

export interface StaticBinding {
  claim: PersistentVolumeClaim;
  volume: PersistentVolume;
}

/** What binding the pod to the node takes: PVs to pre-bind, claims to give a selected node. */
export interface VolumePlan {
  staticBindings: StaticBinding[];
  provisionings: PersistentVolumeClaim[];
}

export const claimKey = (claim: PersistentVolumeClaim): string =>
  `${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""}`;

/** Bound as the scheduler sees it (isPVCFullyBound): a volume name and the binder's bind-completed annotation. */
export const isClaimFullyBound = (claim: PersistentVolumeClaim): boolean =>
  !!claim.spec.volumeName && claim.metadata.annotations?.[AnnBindCompleted] !== undefined;

/** The claim names a pod's volumes use: persistentVolumeClaim volumes and generic ephemeral ones (<pod>-<volume>). */
export function podClaimNames(pod: Pod): string[] {
  return podVolumeClaims(pod).map((c) => c.claimName);
}

/**
 * PreFilter: the pod's claims, or the message that rejects the pod on every node (missing or deleted claim,
 * unbound immediate claims). A pod without claims gets empty lists.
 */
export function preFilterVolumes(view: VolumeView, pod: Pod): PodClaims | { message: string } {
  const namespace = pod.metadata.namespace ?? "";
  const bound: PersistentVolumeClaim[] = [];
  const delayed: PersistentVolumeClaim[] = [];
  const storageClassNamed = (className: string) => view.storageClass(className);
  let immediate = false;
  for (const { claimName: name, ephemeral } of podVolumeClaims(pod)) {
    const claim = view.claim(namespace, name);
    // A generic ephemeral volume's claim is the ephemeral volume controller's to make: the pod waits for it.
    if (!claim) return { message: ephemeral ? waitingForEphemeralClaim(name) : claimNotFound(name) };
    if (claim.metadata.deletionTimestamp) return { message: claimBeingDeleted(name) };
    const notForPod = ephemeral ? volumeIsForPod(pod, claim) : undefined;
    if (notForPod) return { message: notForPod };
    if (isClaimFullyBound(claim)) bound.push(claim);
    // A delayed claim that names its volume is pre-bound by the user: the PV controller binds it like an
    // immediate one (upstream's GetPodVolumeClaims).
    else if (isDelayBindingMode(claim, storageClassNamed) && !claim.spec.volumeName) delayed.push(claim);
    else immediate = true;
  }
  if (immediate) return { message: MsgUnboundImmediate };
  delayed.sort((a, b) => claimRequest(a).cmp(claimRequest(b)));
  return { bound, delayed };
}

/** A volume this scheduler assumed for a claim looks as upstream's assume cache shows it: claimRef set. */
function withAssumedClaimRef(view: VolumeView, volume: PersistentVolume): PersistentVolume {
  if (volume.spec.claimRef) return volume;
  const key = view.assumedClaimOf(volume.metadata.name ?? "");
  if (key === undefined) return volume;
  const slash = key.indexOf("/");
  const claimRef = { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
  return { ...volume, spec: { ...volume.spec, claimRef } };
}

/**
 * The volumes a claim could take on some node, by the shared smallest-fit rules (src/api/storagerules/fit.ts,
 * the binder's too): the node-independent checks, done once per pod.
 */
export function volumeCandidates(view: VolumeView, claim: PersistentVolumeClaim): ClaimCandidates {
  try {
    const { freeCandidates, isFree, volumesClaimedBy } = view;
    if (freeCandidates && isFree && volumesClaimedBy) {
      const shared = freeCandidates.call(view, claim);
      // Upstream's binder asks only the claim's class for volumes, pre-bound ones too.
      const className = claimClass(claim);
      const claimed = volumesClaimedBy.call(view, claimKey(claim)).filter((v) => volumeClass(v) === className);
      const { preBound } = matchCandidates(claim, claimed);
      return { preBound, free: shared.free, reach: shared.reach, isOpen: (volume) => isFree.call(view, volume) };
    }
    const volumes = view.volumesOfClass(claimClass(claim)).map((volume) => withAssumedClaimRef(view, volume));
    return matchCandidates(claim, volumes);
  } catch (err) {
    if (err instanceof ClaimSelectorError) return { preBound: [], free: [] }; // upstream: nothing matches
    throw err;
  }
}

/** pickForNode, skipping shared candidates taken since they were listed. */
function pickVolume(candidates: ClaimCandidates, node: NodeLabels, chosen: ReadonlySet<string>) {
  const { isOpen, byNode, reachesListedNodes } = candidates;
  if (byNode && candidates.preBound.length === 0) {
    for (const volume of byNode.get(node.name) ?? []) {
      if (chosen.has(volume.metadata.name ?? "") || (isOpen && !isOpen(volume))) continue;
      if (reachesListedNodes?.has(volume) || checkNodeAffinity(volume, node)) return volume;
    }
    return undefined;
  }
  if (!isOpen) return pickForNode(candidates, node, chosen);
  const preBound = candidates.preBound.find((volume) => !chosen.has(volume.metadata.name ?? ""));
  if (preBound) return checkNodeAffinity(preBound, node) ? preBound : undefined;
  candidates.reach ??= new ReachIndex(candidates.free);
  return candidates.reach.first(node, (volume) => !chosen.has(volume.metadata.name ?? "") && isOpen(volume));
}

function driverOf(view: VolumeView, provisioner: string): CSIDriver | undefined {
  return view.csiDriver(provisioner);
}

/** Each capacity object's nodeTopology as a matcher, made once (informer objects are replaced, never changed). */
const topologies = new WeakMap<CSIStorageCapacity, LabelMatcher | null>();
function topologyOf(capacity: CSIStorageCapacity): LabelMatcher | null {
  let topology = topologies.get(capacity);
  if (topology === undefined) {
    try {
      topology = capacity.nodeTopology ? labelMatcherFromSelector(capacity.nodeTopology) : null;
    } catch {
      topology = null; // a selector that cannot match admits no node
    }
    topologies.set(capacity, topology);
  }
  return topology;
}

/** hasEnoughCapacity: only for CSI drivers with storageCapacity: some CSIStorageCapacity for the class and node fits. */
function hasEnoughCapacity(view: VolumeView, claim: PersistentVolumeClaim, storageClass: StorageClass, node: Node) {
  const driver = driverOf(view, storageClass.provisioner);
  if (!driver?.spec.storageCapacity) return true;
  const request = claimRequest(claim);
  if (request.isZero()) return true;
  const labels = node.metadata.labels ?? {};
  return view.capacities(storageClass.metadata.name ?? "", node).some((capacity) => {
    const topology = topologyOf(capacity);
    // A nil nodeTopology matches no node (upstream's nodeHasAccess).
    if (!topology || !topology.matches(labels)) return false;
    const limit = tryParseQuantity(capacity.maximumVolumeSize ?? capacity.capacity);
    return limit !== undefined && limit.cmp(request) >= 0;
  });
}

const noneChosen: ReadonlySet<string> = new Set();

/** Filter: undefined and a plan when the node can take the pod's volumes, else the reasons it cannot. */
export function filterVolumes(
  view: VolumeView,
  claims: PodClaims,
  node: Node,
): { status: FilterStatus; plan?: undefined } | { status?: undefined; plan: VolumePlan } {
  let boundSatisfied = true;
  let boundFound = true;
  let unboundSatisfied = true;
  let enoughSpace = true;
  const labels = nodeLabelsOf(node);
  for (const claim of claims.bound) {
    const volume = view.volume(claim.spec.volumeName ?? "");
    if (!volume) boundFound = false;
    else if (!checkNodeAffinity(volume, labels)) boundSatisfied = false;
  }
  const plan: VolumePlan = { staticBindings: [], provisionings: [] };
  let chosen: Set<string> | undefined; // made for a second volume only: asked on every node of every pod
  const nodeName = node.metadata.name ?? "";
  for (const claim of claims.delayed) {
    claims.candidates ??= new Map();
    let candidates = claims.candidates.get(claim);
    if (!candidates) claims.candidates.set(claim, (candidates = volumeCandidates(view, claim)));
    // FindMatchingVolume with this node, minus the volumes other claims of the pod were given.
    const volume = pickVolume(candidates, labels, chosen ?? noneChosen);
    if (volume) {
      (chosen ??= new Set()).add(volume.metadata.name ?? "");
      plan.staticBindings.push({ claim, volume });
      continue;
    }
    // checkVolumeProvisions: the class must name a real provisioner that can reach this node.
    const selected = claim.metadata.annotations?.[AnnSelectedNode];
    const storageClass = view.storageClass(claimClass(claim));
    if (
      !storageClass ||
      storageClass.provisioner === NotSupportedProvisioner ||
      (selected !== undefined && selected !== nodeName) ||
      !topologyTermsMatch(storageClass.allowedTopologies, node.metadata.labels ?? {})
    ) {
      unboundSatisfied = false;
      continue;
    }
    if (!hasEnoughCapacity(view, claim, storageClass, node)) {
      enoughSpace = false;
      continue;
    }
    plan.provisionings.push(claim);
  }
  const reasons: string[] = [];
  if (!boundSatisfied) reasons.push(ErrReasonNodeConflict);
  if (!unboundSatisfied) reasons.push(ErrReasonBindConflict);
  if (!enoughSpace) reasons.push(ErrReasonNotEnoughSpace);
  if (!boundFound) reasons.push(ErrReasonPVNotExist);
  if (reasons.length > 0) return { status: { reasons } };
  return { plan };
}
