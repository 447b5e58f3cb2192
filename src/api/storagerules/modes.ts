// Access modes and volume modes, as upstream's component-helpers/storage/volume CheckAccessModes and
// CheckVolumeModeMismatches: the two checks a volume must pass, besides size, for a claim to use it.
import type {
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  PersistentVolumeClaimSpec,
  PersistentVolumeSpec,
} from "../core/types.js";

/** CheckAccessModes: the volume offers every mode the claim asks for (more is fine; none asked: any volume). */
export function checkAccessModes(claim: PersistentVolumeClaim, volume: PersistentVolume): boolean {
  return containsAllAccessModes(volume.spec?.accessModes, claim.spec?.accessModes);
}

/** ContainsAllAccessModes: `offered` holds every mode of `wanted`. */
export function containsAllAccessModes(
  offered: readonly PersistentVolumeAccessMode[] | undefined,
  wanted: readonly PersistentVolumeAccessMode[] | undefined,
): boolean {
  // Both lists hold at most four modes: a scan is cheaper than a Set.
  return (wanted ?? []).every((mode) => (offered ?? []).includes(mode));
}

/**
 * CheckVolumeModeMismatches: true when claim and volume differ in volumeMode. An unset volumeMode is Filesystem
 * on both sides (an object written before the field was defaulted, as upstream allows for HA upgrades).
 */
export function checkVolumeModeMismatches(
  claimSpec: PersistentVolumeClaimSpec | undefined,
  volumeSpec: PersistentVolumeSpec | undefined,
): boolean {
  return (claimSpec?.volumeMode ?? "Filesystem") !== (volumeSpec?.volumeMode ?? "Filesystem");
}

/**
 * One name for a set of access modes (distinct, sorted, comma-joined; "" for none): volumes with the same set
 * share it, as they share a key of the PV controller's access-mode index upstream (GetAccessModesAsString).
 */
export function accessModesKey(modes: readonly PersistentVolumeAccessMode[] | undefined): string {
  if (!modes || modes.length === 0) return "";
  if (modes.length === 1) return modes[0];
  return [...new Set(modes)].sort().join(",");
}
