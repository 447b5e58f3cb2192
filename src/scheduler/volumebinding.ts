// kube-scheduler's VolumeBinding plugin (pkg/scheduler/framework/plugins/volumebinding): PreFilter sorts the pod's
// claims into bound, unbound-immediate and unbound-delayed (WaitForFirstConsumer); Filter checks, per node, that
// bound volumes' node affinity admits the node and that every delayed claim either matches a static PV reachable
// from the node or can be provisioned there (allowedTopologies, CSIStorageCapacity). The decision is pure: it
// reads a VolumeView (the informers' caches plus what this scheduler assumed) and returns reasons or a plan.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import { Quantity } from "../api/quantity.js";
import { labelMatcherFromSelector } from "../api/selectors/labels.js";
import type { CSIDriver, CSIStorageCapacity, StorageClass } from "../api/storage/types.js";
import { AnnBetaStorageClass, AnnBindCompleted, AnnSelectedNode } from "../api/wellknown.js";
import type { FilterStatus } from "./filters.js";
import { nodeLabelsOf, nodeSelectorMatches, topologyTermsMatch } from "../api/selectors/nodeselector.js";

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
  capacities(className: string): readonly CSIStorageCapacity[];
  /** The claim key ("ns/name") a volume was assumed for by this scheduler and not yet seen bound, if any. */
  assumedClaimOf(volumeName: string): string | undefined;
}

export interface PodClaims {
  bound: PersistentVolumeClaim[];
  /** Unbound WaitForFirstConsumer claims, smallest request first (upstream's byPVCSize). */
  delayed: PersistentVolumeClaim[];
  /** Per delayed claim, its node-independent candidates: computed on the first node, reused on the others. */
  candidates?: Map<PersistentVolumeClaim, Candidates>;
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

export const claimClass = (claim: PersistentVolumeClaim): string =>
  claim.metadata.annotations?.[AnnBetaStorageClass] ?? claim.spec.storageClassName ?? "";
export const volumeClass = (volume: PersistentVolume): string =>
  volume.metadata.annotations?.[AnnBetaStorageClass] ?? volume.spec.storageClassName ?? "";
export const claimKey = (claim: PersistentVolumeClaim): string =>
  `${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""}`;

/** Bound as the scheduler sees it (isPVCFullyBound): a volume name and the binder's bind-completed annotation. */
export const isClaimFullyBound = (claim: PersistentVolumeClaim): boolean =>
  !!claim.spec.volumeName && claim.metadata.annotations?.[AnnBindCompleted] !== undefined;

function quantity(text: string | undefined): Quantity {
  try {
    return text ? Quantity.parse(text) : Quantity.zero();
  } catch {
    return Quantity.zero();
  }
}
export const requestOf = (claim: PersistentVolumeClaim): Quantity => quantity(claim.spec.resources?.requests?.storage);
// Every pod's Filter compares against every PV of its class on every node: parse each (frozen, shared) cached
// volume's capacity once, not once per comparison.
const capacities = new WeakMap<PersistentVolume, Quantity>();
function capacityOf(volume: PersistentVolume): Quantity {
  let capacity = capacities.get(volume);
  if (!capacity) capacities.set(volume, (capacity = quantity(volume.spec.capacity?.storage)));
  return capacity;
}

/** The claim names a pod's volumes use: persistentVolumeClaim volumes and generic ephemeral ones (<pod>-<volume>). */
export function podClaimNames(pod: Pod): string[] {
  const names: string[] = [];
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.persistentVolumeClaim?.claimName) names.push(volume.persistentVolumeClaim.claimName);
    else if (volume.ephemeral) names.push(`${pod.metadata.name}-${volume.name}`);
  }
  return names;
}

function isDelayBinding(view: VolumeView, claim: PersistentVolumeClaim): boolean {
  const className = claimClass(claim);
  if (className === "") return false;
  // A class that does not exist (yet) binds as Immediate, as upstream's IsDelayBindingMode.
  return view.storageClass(className)?.volumeBindingMode === "WaitForFirstConsumer";
}

/**
 * PreFilter: the pod's claims, or the message that rejects the pod on every node (missing or deleted claim,
 * unbound immediate claims). A pod without claims gets empty lists.
 */
export function preFilterVolumes(view: VolumeView, pod: Pod): PodClaims | { message: string } {
  const namespace = pod.metadata.namespace ?? "";
  const bound: PersistentVolumeClaim[] = [];
  const delayed: PersistentVolumeClaim[] = [];
  let immediate = false;
  for (const name of podClaimNames(pod)) {
    const claim = view.claim(namespace, name);
    if (!claim) return { message: claimNotFound(name) };
    if (claim.metadata.deletionTimestamp) return { message: claimBeingDeleted(name) };
    if (isClaimFullyBound(claim)) bound.push(claim);
    // A delayed claim that names its volume is pre-bound by the user: the PV controller binds it like an
    // immediate one (upstream's GetPodVolumeClaims).
    else if (isDelayBinding(view, claim) && !claim.spec.volumeName) delayed.push(claim);
    else immediate = true;
  }
  if (immediate) return { message: MsgUnboundImmediate };
  delayed.sort((a, b) => requestOf(a).cmp(requestOf(b)));
  return { bound, delayed };
}

function checkVolumeNodeAffinity(volume: PersistentVolume, node: Node): boolean {
  const required = volume.spec.nodeAffinity?.required;
  return !required || nodeSelectorMatches(required, nodeLabelsOf(node));
}

const accessModesFit = (claim: PersistentVolumeClaim, volume: PersistentVolume): boolean => {
  const offered = new Set(volume.spec.accessModes ?? []);
  return (claim.spec.accessModes ?? []).every((mode) => offered.has(mode));
};

const sameVolumeMode = (claim: PersistentVolumeClaim, volume: PersistentVolume): boolean =>
  (claim.spec.volumeMode ?? "Filesystem") === (volume.spec.volumeMode ?? "Filesystem");

function boundToClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = volume.spec.claimRef;
  if (!ref || ref.name !== claim.metadata.name || (ref.namespace ?? "") !== (claim.metadata.namespace ?? "")) {
    return false;
  }
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** The volumes a claim could take on some node: checks that do not depend on the node, done once per pod. */
export interface Candidates {
  /** A volume pre-bound to the claim (claimRef, or assumed for it): the claim goes where this volume can. */
  preBound?: PersistentVolume;
  /** Available, unclaimed volumes that fit, smallest first. */
  free: PersistentVolume[];
}

export function volumeCandidates(view: VolumeView, claim: PersistentVolumeClaim): Candidates {
  const request = requestOf(claim);
  const key = claimKey(claim);
  let selector;
  try {
    selector = claim.spec.selector ? labelMatcherFromSelector(claim.spec.selector) : undefined;
  } catch {
    return { free: [] }; // upstream: "error creating internal label selector": nothing matches
  }
  const free: PersistentVolume[] = [];
  for (const volume of view.volumesOfClass(claimClass(claim))) {
    // Cheapest first: in a busy class most volumes are already claimed.
    const assumedFor = view.assumedClaimOf(volume.metadata.name ?? "");
    const preBound = volume.spec.claimRef ? boundToClaim(volume, claim) : assumedFor === key;
    if (!preBound && (volume.spec.claimRef || assumedFor)) continue;
    if (volume.metadata.deletionTimestamp) continue;
    if (capacityOf(volume).cmp(request) < 0 || !sameVolumeMode(claim, volume)) continue;
    if (preBound) return { preBound: volume, free: [] };
    // Volumes in other phases are about to change; binding them now mostly meets conflicts (upstream skips them).
    if (volume.status?.phase !== "Available") continue;
    if (selector && !selector.matches(volume.metadata.labels)) continue;
    if (!accessModesFit(claim, volume)) continue;
    free.push(volume);
  }
  free.sort((a, b) => capacityOf(a).cmp(capacityOf(b)));
  return { preBound: undefined, free };
}

/**
 * FindMatchingVolume with delayBinding and a node: a volume already pre-bound to the claim if it can reach the
 * node; otherwise the smallest Available, unclaimed volume of the claim's class that fits in size, access modes,
 * volume mode and selector, is not being deleted, admits the node, and is not taken (`chosen` by another claim
 * of this pod, or assumed for another claim by an earlier scheduling decision).
 */
export function findMatchingVolume(
  view: VolumeView,
  claim: PersistentVolumeClaim,
  node: Node,
  chosen: ReadonlySet<string>,
  candidates: Candidates = volumeCandidates(view, claim),
): PersistentVolume | undefined {
  if (candidates.preBound) {
    // Pre-bound elsewhere: the claim cannot go to this node.
    return checkVolumeNodeAffinity(candidates.preBound, node) ? candidates.preBound : undefined;
  }
  return candidates.free.find(
    (volume) => !chosen.has(volume.metadata.name ?? "") && checkVolumeNodeAffinity(volume, node),
  );
}

function driverOf(view: VolumeView, provisioner: string): CSIDriver | undefined {
  return view.csiDriver(provisioner);
}

/** hasEnoughCapacity: only for CSI drivers with storageCapacity: some CSIStorageCapacity for the class and node fits. */
function hasEnoughCapacity(view: VolumeView, claim: PersistentVolumeClaim, storageClass: StorageClass, node: Node) {
  const driver = driverOf(view, storageClass.provisioner);
  if (!driver?.spec.storageCapacity) return true;
  const request = requestOf(claim);
  if (request.isZero()) return true;
  const labels = node.metadata.labels ?? {};
  return view.capacities(storageClass.metadata.name ?? "").some((capacity) => {
    let topology;
    try {
      topology = labelMatcherFromSelector(capacity.nodeTopology);
    } catch {
      return false;
    }
    // A nil nodeTopology matches no node (upstream's nodeHasAccess).
    if (!capacity.nodeTopology || !topology.matches(labels)) return false;
    const limit = capacity.maximumVolumeSize ?? capacity.capacity;
    return limit !== undefined && quantity(limit).cmp(request) >= 0;
  });
}

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
  for (const claim of claims.bound) {
    const volume = view.volume(claim.spec.volumeName ?? "");
    if (!volume) boundFound = false;
    else if (!checkVolumeNodeAffinity(volume, node)) boundSatisfied = false;
  }
  const plan: VolumePlan = { staticBindings: [], provisionings: [] };
  const chosen = new Set<string>();
  const nodeName = node.metadata.name ?? "";
  for (const claim of claims.delayed) {
    claims.candidates ??= new Map();
    let candidates = claims.candidates.get(claim);
    if (!candidates) claims.candidates.set(claim, (candidates = volumeCandidates(view, claim)));
    const volume = findMatchingVolume(view, claim, node, chosen, candidates);
    if (volume) {
      chosen.add(volume.metadata.name ?? "");
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
