// A claim that names its volume (spec.volumeName): upstream's checkVolumeSatisfyClaim (pkg/controller/volume/
// persistentvolume/pv_controller.go). The binder refuses the binding with these words in a VolumeMismatch event,
// and `stowage explain` names the same one, so the two never disagree.
import type { PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import { claimRequest, volumeCapacity } from "./capacity.js";
import { claimClass, volumeClass } from "./class.js";
import { checkAccessModes, checkVolumeModeMismatches } from "./modes.js";

/** checkVolumeSatisfyClaim: why a volume a claim names cannot be bound to it (undefined: it can). */
export function checkVolumeSatisfyClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): string | undefined {
  if (volume.metadata.deletionTimestamp) return `the volume is marked for deletion "${volume.metadata.name}"`;
  // upstream compares Value() (whole units, rounded up); capacities are whole bytes in practice
  if (volumeCapacity(volume).value < claimRequest(claim).value) return "requested PV is too small";
  if (volumeClass(volume) !== claimClass(claim)) return "storageClassName does not match";
  if (checkVolumeModeMismatches(claim.spec, volume.spec)) return "incompatible volumeMode";
  if (!checkAccessModes(claim, volume)) return "incompatible accessMode";
  return undefined;
}
