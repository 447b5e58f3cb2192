// A volume's claimRef: whom a volume is (pre-)bound to, and the reference a binding writes. Upstream's
// IsVolumeBoundToClaim (component-helpers/storage/volume) and reference.GetReference(claim), which the PV
// controller, the scheduler's volume binder and the external-provisioner all write into spec.claimRef.
import type { PersistentVolume, PersistentVolumeClaim } from "../core/types.js";
import type { ObjectReference } from "../meta.js";

/**
 * IsVolumeBoundToClaim: the volume's claimRef names this claim (namespace and name), and its UID, when set, is
 * this claim's. A claimRef without a UID is a user's pre-binding by name; another UID is an earlier claim of
 * the same name.
 */
export function isVolumeBoundToClaim(volume: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = volume.spec?.claimRef;
  if (!ref) return false;
  if (ref.name !== claim.metadata.name || (ref.namespace ?? "") !== (claim.metadata.namespace ?? "")) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** reference.GetReference(claim): the claimRef a volume carries once bound to the claim. */
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
