// The storage admission plugins upstream enables by default:
// - DefaultStorageClass: a new claim without storageClassName gets the default class (the newest one when
//   several are marked default, as upstream since 1.26).
// - StorageObjectInUseProtection: new claims get kubernetes.io/pvc-protection, new volumes kubernetes.io/pv-protection.
// - PersistentVolumeClaimResize: growing a claim needs a bound claim whose class allows expansion.
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import { validateClaimResize } from "../../api/core/persistentvolumeclaim.js";
import type { StorageClass } from "../../api/storage/types.js";
import { claimClass, claimHasClass, defaultClass } from "../../api/storagerules/class.js";
import { PVCProtectionFinalizer, PVProtectionFinalizer } from "../../api/wellknown.js";
import { forbidden } from "../errors.js";
import type { AdmissionAttributes, AdmissionPlugin, ObjectReader } from "./types.js";

const isClaim = (attrs: AdmissionAttributes) => attrs.def.group === "" && attrs.def.plural === "persistentvolumeclaims";
const isVolume = (attrs: AdmissionAttributes) => attrs.def.group === "" && attrs.def.plural === "persistentvolumes";

/** upstream's util.GetDefaultClass over the stored classes: among those marked default, the newest. */
export async function defaultStorageClass(reader: ObjectReader): Promise<StorageClass | undefined> {
  return defaultClass((await reader.list("storage.k8s.io", "storageclasses")) as StorageClass[]);
}

export const defaultStorageClassPlugin: AdmissionPlugin = {
  name: "DefaultStorageClass",
  async admit(attrs, reader) {
    if (attrs.operation !== "CREATE" || attrs.subresource || !isClaim(attrs) || !attrs.object) return;
    const claim = attrs.object as PersistentVolumeClaim;
    if (claimHasClass(claim)) return; // an explicit class, even "", or the beta annotation: the user chose
    const sc = await defaultStorageClass(reader);
    if (!sc) return;
    claim.spec = { ...(claim.spec ?? {}), storageClassName: sc.metadata.name };
  },
};

export const storageObjectInUseProtectionPlugin: AdmissionPlugin = {
  name: "StorageObjectInUseProtection",
  async admit(attrs) {
    if (attrs.operation !== "CREATE" || attrs.subresource || !attrs.object) return;
    const finalizer = isClaim(attrs) ? PVCProtectionFinalizer : isVolume(attrs) ? PVProtectionFinalizer : undefined;
    if (!finalizer) return;
    const meta = attrs.object.metadata;
    if (!(meta.finalizers ?? []).includes(finalizer)) meta.finalizers = [...(meta.finalizers ?? []), finalizer];
  },
};

export const persistentVolumeClaimResizePlugin: AdmissionPlugin = {
  name: "PersistentVolumeClaimResize",
  async validate(attrs, reader) {
    if (attrs.operation !== "UPDATE" || attrs.subresource || !isClaim(attrs) || !attrs.object || !attrs.old) return;
    const claim = attrs.object as PersistentVolumeClaim;
    const old = attrs.old as PersistentVolumeClaim;
    // The class as the resize rule reads it (upstream's GetPersistentVolumeClaimClass: beta annotation first).
    const className = claimClass(claim);
    const sc = className
      ? ((await reader.get("storage.k8s.io", "storageclasses", undefined, className)) as StorageClass | undefined)
      : undefined;
    const errors = validateClaimResize(claim, old, sc);
    if (errors.length) {
      throw forbidden({ group: "", resource: "persistentvolumeclaims" }, attrs.name, errors[0].detail);
    }
  },
};

export const storagePlugins: AdmissionPlugin[] = [
  defaultStorageClassPlugin,
  storageObjectInUseProtectionPlugin,
  persistentVolumeClaimResizePlugin,
];
