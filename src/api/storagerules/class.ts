// Which StorageClass a claim asks for and a volume is in, as upstream's component-helpers/storage/volume
// (GetPersistentVolumeClaimClass, GetPersistentVolumeClass, PersistentVolumeClaimHasClass) and
// pkg/controller/volume/persistentvolume/util (GetDefaultClass, IsDelayBindingMode). The binder, the scheduler,
// the provisioner, the admission plugins and the tables all read a class through these, so a claim carrying
// only the deprecated beta annotation is in the same class for every one of them.
import type { PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import { isDefaultStorageClass } from "../storage/storageclass.js";
import type { StorageClass } from "../storage/types.js";
import { AnnBetaStorageClass } from "../wellknown.js";

/**
 * GetPersistentVolumeClaimClass: the class a claim asks for; "" means "no class". The deprecated beta
 * annotation wins over spec.storageClassName when both are set (upstream reads it first).
 */
export function claimClass(claim: PersistentVolumeClaim): string {
  const beta = claim.metadata.annotations?.[AnnBetaStorageClass];
  if (beta !== undefined) return beta;
  return claim.spec?.storageClassName ?? "";
}

/** GetPersistentVolumeClass: the class a volume is in, by the same rule (beta annotation first). */
export function volumeClass(volume: PersistentVolume): string {
  const beta = volume.metadata.annotations?.[AnnBetaStorageClass];
  if (beta !== undefined) return beta;
  return volume.spec?.storageClassName ?? "";
}

/**
 * PersistentVolumeClaimHasClass: the user chose a class, even "" (no class), with either the field or the beta
 * annotation. Only a claim without both gets the default class (DefaultStorageClass admission, and the binder's
 * retroactive default).
 */
export function claimHasClass(claim: PersistentVolumeClaim): boolean {
  if (claim.spec?.storageClassName !== undefined && claim.spec.storageClassName !== null) return true;
  return claim.metadata.annotations?.[AnnBetaStorageClass] !== undefined;
}

/** GetDefaultClass: among the classes marked default, the newest; equally new ones go to the first name. */
export function defaultClass(classes: readonly StorageClass[]): StorageClass | undefined {
  const created = (storageClass: StorageClass) => Date.parse(storageClass.metadata.creationTimestamp ?? "") || 0;
  let best: StorageClass | undefined;
  for (const storageClass of classes) {
    if (!isDefaultStorageClass(storageClass)) continue;
    if (!best) {
      best = storageClass;
      continue;
    }
    const newer = created(storageClass) - created(best);
    if (newer > 0 || (newer === 0 && (storageClass.metadata.name ?? "") < (best.metadata.name ?? ""))) {
      best = storageClass;
    }
  }
  return best;
}

/**
 * IsDelayBindingMode: the claim's class exists and binds WaitForFirstConsumer. No class, or a class that does
 * not exist (yet), binds Immediate. A class without volumeBindingMode is an error, as upstream (the apiserver
 * defaults the field, so only an object that skipped defaulting gets here).
 */
export function isDelayBindingMode(
  claim: PersistentVolumeClaim,
  storageClassNamed: (name: string) => StorageClass | undefined,
): boolean {
  const className = claimClass(claim);
  if (className === "") return false;
  const storageClass = storageClassNamed(className);
  if (!storageClass) return false;
  if (!storageClass.volumeBindingMode) throw new Error(`VolumeBindingMode not set for StorageClass "${className}"`);
  return storageClass.volumeBindingMode === "WaitForFirstConsumer";
}
