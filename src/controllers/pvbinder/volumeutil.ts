// The small predicates upstream keeps in component-helpers/storage/volume (pv_helpers.go, helpers.go) and in
// pkg/controller/volume/persistentvolume/util: which class a claim or volume is in, whether a volume points at a
// claim, access and volume mode checks. Every decision in match.ts and binder.ts is phrased with these.
import type {
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  PersistentVolumeSpec,
} from "../../api/core/types.js";
import type { ObjectReference } from "../../api/meta.js";
import { Quantity } from "../../api/quantity.js";
import { AnnBetaStorageClass } from "../../api/wellknown.js";

/** The class a claim asks for: the beta annotation wins over spec.storageClassName; "" means "no class". */
export function claimClass(claim: PersistentVolumeClaim): string {
  const beta = claim.metadata.annotations?.[AnnBetaStorageClass];
  if (beta !== undefined) return beta;
  return claim.spec.storageClassName ?? "";
}

/** The class a volume is in, by the same rule as claims. */
export function volumeClass(volume: PersistentVolume): string {
  const beta = volume.metadata.annotations?.[AnnBetaStorageClass];
  if (beta !== undefined) return beta;
  return volume.spec.storageClassName ?? "";
}

/**
 * upstream's PersistentVolumeClaimHasClass: the user chose a class, even "" (no class), when either the field or
 * the beta annotation is present. Only a claim without both gets the default class retroactively.
 */
export function claimHasClass(claim: PersistentVolumeClaim): boolean {
  if (claim.spec.storageClassName !== undefined && claim.spec.storageClassName !== null) return true;
  return claim.metadata.annotations?.[AnnBetaStorageClass] !== undefined;
}

/** IsVolumeBoundToClaim: claimRef names this claim, and its UID (when set) is this claim's. */
export function isVolumeBoundToClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = volume.spec.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata.name || (ref.namespace ?? "") !== (claim.metadata.namespace ?? "")) return false;
  if (ref.uid && ref.uid !== claim.metadata.uid) return false;
  return true;
}

/** CheckAccessModes: every mode the claim asks for is one the volume offers. */
export function checkAccessModes(claim: PersistentVolumeClaim, volume: PersistentVolume): boolean {
  const offered = new Set(volume.spec.accessModes ?? []);
  return (claim.spec.accessModes ?? []).every((mode) => offered.has(mode));
}

/** CheckVolumeModeMismatches: an unset volumeMode is Filesystem on both sides. */
export function volumeModeMismatch(claimSpec: PersistentVolumeClaimSpec, volumeSpec: PersistentVolumeSpec): boolean {
  return (claimSpec.volumeMode ?? "Filesystem") !== (volumeSpec.volumeMode ?? "Filesystem");
}

/** A parse failure counts as zero, as upstream's map lookup of a missing quantity does (validation rejects bad text). */
function quantityOf(text: string | undefined): Quantity {
  if (text === undefined) return Quantity.zero();
  try {
    return Quantity.parse(text);
  } catch {
    return Quantity.zero();
  }
}

export function requestOf(claim: PersistentVolumeClaim): Quantity {
  return quantityOf(claim.spec.resources?.requests?.storage);
}

export function capacityOf(volume: PersistentVolume): Quantity {
  return quantityOf(volume.spec.capacity?.storage);
}

/** The key the informer caches a claim under, from a volume's claimRef. */
export function claimRefKey(ref: Pick<ObjectReference, "namespace" | "name">): string {
  return `${ref.namespace ?? ""}/${ref.name ?? ""}`;
}

export function claimKey(claim: PersistentVolumeClaim): string {
  return `${claim.metadata.namespace ?? ""}/${claim.metadata.name ?? ""}`;
}

/** A canonical name for a set of access modes, so volumes with the same set share an index bucket. */
export function accessModesKey(modes: readonly PersistentVolumeAccessMode[] | undefined): string {
  return [...new Set(modes ?? [])].sort().join(",");
}

export function hasAnnotation(object: { metadata: { annotations?: Record<string, string> } }, key: string): boolean {
  return object.metadata.annotations?.[key] !== undefined;
}

/** reference.GetReference(claim): what a volume's claimRef holds once bound. */
export function claimReference(claim: PersistentVolumeClaim): ObjectReference {
  return {
    kind: "PersistentVolumeClaim",
    namespace: claim.metadata.namespace,
    name: claim.metadata.name,
    uid: claim.metadata.uid,
    apiVersion: "v1",
    resourceVersion: claim.metadata.resourceVersion,
  };
}

/**
 * resourceVersions are the store's revisions (decimal integers): true when `candidate` is older than `than`, as
 * upstream's storeObjectUpdate refuses to replace a cached object with an older one.
 */
export function isOlder(
  candidate: { metadata: { resourceVersion?: string } },
  than: { metadata: { resourceVersion?: string } },
): boolean {
  const a = candidate.metadata.resourceVersion ?? "";
  const b = than.metadata.resourceVersion ?? "";
  if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return a.length !== b.length ? a.length < b.length : a < b;
}
