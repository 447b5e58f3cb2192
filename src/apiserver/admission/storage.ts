// The storage admission plugins upstream enables by default:
// - DefaultStorageClass: a new claim without storageClassName gets the default class (the newest one when
//   several are marked default, as upstream since 1.26).
// - StorageObjectInUseProtection: new claims get kubernetes.io/pvc-protection, new volumes kubernetes.io/pv-protection.
// - PersistentVolumeClaimResize: growing a claim needs a bound claim whose class allows expansion.
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import { validateClaimResize } from "../../api/core/persistentvolumeclaim.js";
import type { KubeObject } from "../../api/meta.js";
import type { StorageClass } from "../../api/storage/types.js";
import {
  AnnBetaIsDefaultStorageClass,
  AnnBetaStorageClass,
  AnnIsDefaultStorageClass,
  PVCProtectionFinalizer,
  PVProtectionFinalizer,
} from "../../api/wellknown.js";
import { forbidden } from "../errors.js";
import type { AdmissionAttributes, AdmissionPlugin, ObjectReader } from "./types.js";

const isClaim = (attrs: AdmissionAttributes) => attrs.def.group === "" && attrs.def.plural === "persistentvolumeclaims";
const isVolume = (attrs: AdmissionAttributes) => attrs.def.group === "" && attrs.def.plural === "persistentvolumes";

function isDefaultClass(sc: KubeObject): boolean {
  const a = sc.metadata.annotations ?? {};
  return a[AnnIsDefaultStorageClass] === "true" || a[AnnBetaIsDefaultStorageClass] === "true";
}

/** upstream's util.GetDefaultClass: among classes marked default, the newest; ties broken by name. */
export async function defaultStorageClass(reader: ObjectReader): Promise<StorageClass | undefined> {
  const classes = (await reader.list("storage.k8s.io", "storageclasses")).filter(isDefaultClass) as StorageClass[];
  classes.sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? "";
    const tb = b.metadata.creationTimestamp ?? "";
    if (ta !== tb) return ta > tb ? -1 : 1;
    return (a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1;
  });
  return classes[0];
}

export const defaultStorageClassPlugin: AdmissionPlugin = {
  name: "DefaultStorageClass",
  async admit(attrs, reader) {
    if (attrs.operation !== "CREATE" || attrs.subresource || !isClaim(attrs) || !attrs.object) return;
    const claim = attrs.object as PersistentVolumeClaim;
    // an explicit class, even "", or the beta annotation: the user chose
    if (claim.spec?.storageClassName !== undefined && claim.spec.storageClassName !== null) return;
    if (claim.metadata.annotations?.[AnnBetaStorageClass] !== undefined) return;
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
    const className = claim.spec?.storageClassName ?? "";
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
