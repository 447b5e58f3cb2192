// core/v1 PersistentVolumeClaim: defaults, validation (incl. the resize admission rule), table, field selectors,
// as upstream (pkg/apis/core/validation, pkg/registry/core/persistentvolumeclaim, plugin/.../persistentvolume/resize).
import { FieldPath, forbidden, invalid } from "../field.js";
import type { FieldError } from "../field.js";
import { Quantity } from "../quantity.js";
import type { ResourceDefinition } from "../resource.js";
import { accessModesAsString, ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { deepEqual, validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { AnnBetaStorageClass } from "../wellknown.js";
import type { StorageClass } from "../storage/types.js";
import { claimCapacity, claimRequest } from "../storagerules/capacity.js";
import { claimClass } from "../storagerules/class.js";
import { describeDiff } from "./persistentvolume.js";
import type { PersistentVolumeClaim } from "./types.js";
import { parseQuantityField, validatePersistentVolumeClaimSpec } from "./validate-volumes.js";

export const claimSpecImmutableMessage =
  "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";
export const claimResizeMessage =
  "only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize";
export const claimResizeUnboundMessage = "Only bound persistent volume claims can be expanded";

export function defaultPersistentVolumeClaim(claim: PersistentVolumeClaim): void {
  claim.spec ??= {};
  claim.status ??= {};
  if (!claim.status.phase) claim.status.phase = "Pending";
  if (claim.spec.volumeMode === undefined) claim.spec.volumeMode = "Filesystem";
}

export function validatePersistentVolumeClaim(claim: PersistentVolumeClaim): FieldError[] {
  return [
    ...validateObjectMeta(claim.metadata, true, nameIsDNSSubdomain),
    ...validatePersistentVolumeClaimSpec(claim.spec, FieldPath.root("spec")),
  ];
}

/**
 * upstream's ValidatePersistentVolumeClaimUpdate: the spec is frozen except a first volumeName, and for bound claims
 * resources.requests[storage] and volumeAttributesClassName; the request may not drop to status.capacity or below.
 */
export function validatePersistentVolumeClaimUpdate(
  claim: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
): FieldError[] {
  const errs = [...validateObjectMetaUpdate(claim.metadata, old.metadata), ...validatePersistentVolumeClaim(claim)];
  const next: Record<string, unknown> = structuredClone({ ...(claim.spec ?? {}) });
  const before: Record<string, unknown> = structuredClone({ ...(old.spec ?? {}) });
  // The binder sets volumeName once.
  if (!old.spec?.volumeName) before.volumeName = next.volumeName;

  const oldClass = old.metadata.annotations?.[AnnBetaStorageClass];
  const newClass = claim.metadata.annotations?.[AnnBetaStorageClass];
  const upgrade =
    oldClass !== undefined &&
    old.spec?.storageClassName === undefined &&
    claim.spec?.storageClassName === oldClass &&
    (newClass === undefined || newClass === oldClass);
  if (upgrade) {
    // Moving the class from the beta annotation into spec.storageClassName is allowed.
    delete next.storageClassName;
  } else if ((newClass ?? "") !== (oldClass ?? "")) {
    errs.push(
      invalid(FieldPath.root("metadata", "annotations", AnnBetaStorageClass), newClass ?? "", "field is immutable"),
    );
  }
  // Retroactive default StorageClass (GA in 1.28): a claim created without a class may get one set once.
  if (
    old.spec?.storageClassName === undefined &&
    claim.spec?.storageClassName !== undefined &&
    (oldClass === undefined || claim.spec.storageClassName === oldClass)
  ) {
    delete next.storageClassName;
  }

  const bound = claim.status?.phase === "Bound";
  const nextResources = (next.resources ?? {}) as { requests?: Record<string, string> };
  if (bound && nextResources.requests) {
    next.resources = { ...nextResources, requests: { ...nextResources.requests } };
    const requests = (next.resources as { requests: Record<string, string | undefined> }).requests;
    requests.storage = old.spec?.resources?.requests?.storage;
    if (requests.storage === undefined) delete requests.storage;
  }
  if (bound && next.volumeAttributesClassName !== undefined) {
    next.volumeAttributesClassName = before.volumeAttributesClassName;
    if (next.volumeAttributesClassName === undefined) delete next.volumeAttributesClassName;
  }
  if (!deepEqual(next, before)) {
    errs.push(
      forbidden(
        FieldPath.root("spec"),
        `${claimSpecImmutableMessage}\n${describeDiff("core.PersistentVolumeClaimSpec", before, next)}`,
      ),
    );
  }

  const sizePath = FieldPath.root("spec", "resources", "requests", "storage");
  const scratch: FieldError[] = [];
  const oldSize =
    parseQuantityField(old.spec?.resources?.requests?.storage ?? "0", sizePath, scratch) ?? Quantity.zero();
  const newSize =
    parseQuantityField(claim.spec?.resources?.requests?.storage ?? "0", sizePath, scratch) ?? Quantity.zero();
  if (newSize.cmp(oldSize) < 0 && newSize.cmp(claimCapacity(old)) <= 0) {
    // RecoverVolumeExpansionFailure (on by default since 1.32): shrinking back toward status.capacity is allowed.
    errs.push(forbidden(sizePath, "field can not be less than status.capacity"));
  }
  // upstream reports this one at the unqualified path "volumeMode".
  errs.push(...validateImmutableField(claim.spec?.volumeMode, old.spec?.volumeMode, "volumeMode"));
  return errs;
}

/**
 * The PersistentVolumeClaimResize admission rule, for the apiserver to run on updates of the main resource.
 * Upstream answers with 403 Forbidden, message `persistentvolumeclaims "<name>" is forbidden: <detail>`.
 */
export function validateClaimResize(
  claim: PersistentVolumeClaim,
  old: PersistentVolumeClaim,
  storageClass: StorageClass | undefined,
): FieldError[] {
  const path = FieldPath.root("spec", "resources", "requests", "storage");
  if (claimRequest(claim).cmp(claimRequest(old)) <= 0) return [];
  if (old.status?.phase !== "Bound") return [forbidden(path, claimResizeUnboundMessage)];
  const className = claimClass(claim);
  const oldClassName = claimClass(old);
  const allowed =
    className !== "" &&
    className === oldClassName &&
    storageClass !== undefined &&
    storageClass.metadata.name === className &&
    storageClass.allowVolumeExpansion === true;
  return allowed ? [] : [forbidden(path, claimResizeMessage)];
}

export const persistentVolumeClaims: ResourceDefinition<PersistentVolumeClaim> = {
  group: "",
  version: "v1",
  kind: "PersistentVolumeClaim",
  listKind: "PersistentVolumeClaimList",
  plural: "persistentvolumeclaims",
  singular: "persistentvolumeclaim",
  shortNames: ["pvc"],
  namespaced: true,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultPersistentVolumeClaim,
  prepareForCreate(claim) {
    claim.status = { phase: "Pending" };
  },
  validateCreate: validatePersistentVolumeClaim,
  validateUpdate: validatePersistentVolumeClaimUpdate,
  validateStatusUpdate(claim, old) {
    const errs = validateObjectMetaUpdate(claim.metadata, old.metadata);
    const capacityPath = FieldPath.root("status", "capacity");
    for (const [name, text] of Object.entries(claim.status?.capacity ?? {})) {
      const q = parseQuantityField(text, capacityPath.key(name), errs);
      if (q && q.sign() < 0)
        errs.push(invalid(capacityPath.key(name), q.value.toString(), "must be a valid resource quantity"));
    }
    for (const [name, text] of Object.entries(claim.status?.allocatedResources ?? {})) {
      parseQuantityField(text, FieldPath.root("status", "allocatedResources").key(name), errs);
    }
    return errs;
  },
  table: {
    columns: [
      nameColumn,
      column("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
      column("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
      column("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
      column("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has."),
      column("StorageClass", "string", "StorageClass of the pvc"),
      column("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
      ageColumn,
      column("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim.", 1),
    ],
    row(claim, now) {
      const phase = claim.metadata.deletionTimestamp ? "Terminating" : (claim.status?.phase ?? "");
      const volumeName = claim.spec?.volumeName ?? "";
      // upstream prints capacity and access modes only once the claim names its volume
      const capacity = volumeName ? claimCapacity(claim).toString() : "";
      const accessModes = volumeName ? accessModesAsString(claim.status?.accessModes) : "";
      return [
        claim.metadata.name,
        phase,
        volumeName,
        capacity,
        accessModes,
        claimClass(claim),
        claim.spec?.volumeAttributesClassName ?? "<unset>",
        translateTimestampSince(claim.metadata.creationTimestamp, now),
        claim.spec?.volumeMode ?? "<unset>",
      ];
    },
  },
  // upstream selects claims by name only ("name" is a kept-for-compatibility alias of metadata.name).
  selectableFields: (claim) => ({ name: claim.metadata.name ?? "" }),
};
