// storage.k8s.io/v1 StorageClass: defaults, validation and table as upstream
// (pkg/apis/storage/v1/defaults.go, pkg/apis/storage/validation, printers.go printStorageClass).
import { FieldPath, duplicate, forbidden, invalid, notSupported, required, tooLong } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate, deepEqual } from "../validation/meta.js";
import { isQualifiedName, nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { AnnBetaIsDefaultStorageClass, AnnIsDefaultStorageClass } from "../wellknown.js";
import type { StorageClass } from "./types.js";

const supportedReclaimPolicies = ["Delete", "Retain"];
const supportedBindingModes = ["Immediate", "WaitForFirstConsumer"];
const maxProvisionerParameterSize = 256 * (1 << 10);
const maxProvisionerParameterLen = 512;

/** upstream's storageutil.IsDefaultAnnotation: "true" on the GA or the beta annotation. */
export function isDefaultStorageClass(storageClass: StorageClass): boolean {
  const annotations = storageClass.metadata.annotations ?? {};
  return annotations[AnnIsDefaultStorageClass] === "true" || annotations[AnnBetaIsDefaultStorageClass] === "true";
}

export function defaultStorageClass(storageClass: StorageClass): void {
  if (!storageClass.reclaimPolicy) storageClass.reclaimPolicy = "Delete";
  if (!storageClass.volumeBindingMode) storageClass.volumeBindingMode = "Immediate";
}

export function validateStorageClass(storageClass: StorageClass): FieldError[] {
  const errs = validateObjectMeta(storageClass.metadata, false, nameIsDNSSubdomain);
  const provisionerPath = FieldPath.root("provisioner");
  if (!storageClass.provisioner) errs.push(required(provisionerPath));
  else {
    for (const msg of isQualifiedName(storageClass.provisioner.toLowerCase())) {
      errs.push(invalid(provisionerPath, storageClass.provisioner.toLowerCase(), msg));
    }
  }
  const parametersPath = FieldPath.root("parameters");
  const parameters = storageClass.parameters ?? {};
  if (Object.keys(parameters).length > maxProvisionerParameterLen) {
    errs.push(tooLong(parametersPath, maxProvisionerParameterLen));
  } else {
    let total = 0;
    for (const [key, value] of Object.entries(parameters)) {
      if (key.length < 1) errs.push(invalid(parametersPath, key, "field can not be empty."));
      total += key.length + String(value).length;
    }
    if (total > maxProvisionerParameterSize) errs.push(tooLong(parametersPath, maxProvisionerParameterSize));
  }
  if (storageClass.reclaimPolicy && !supportedReclaimPolicies.includes(storageClass.reclaimPolicy)) {
    errs.push(notSupported(FieldPath.root("reclaimPolicy"), storageClass.reclaimPolicy, supportedReclaimPolicies));
  }
  const modePath = FieldPath.root("volumeBindingMode");
  if (!storageClass.volumeBindingMode) errs.push(required(modePath));
  else if (!supportedBindingModes.includes(storageClass.volumeBindingMode)) {
    errs.push(notSupported(modePath, storageClass.volumeBindingMode, supportedBindingModes));
  }
  (storageClass.allowedTopologies ?? []).forEach((term, i) => {
    const termPath = FieldPath.root("allowedTopologies").index(i);
    if (!term.matchLabelExpressions?.length) {
      errs.push(required(termPath.child("matchLabelExpressions"), "must contain at least one key/value pair"));
    }
    const keys = new Set<string>();
    (term.matchLabelExpressions ?? []).forEach((expr, j) => {
      const exprPath = termPath.child("matchLabelExpressions").index(j);
      for (const msg of isQualifiedName(expr.key)) errs.push(invalid(exprPath.child("key"), expr.key, msg));
      if (keys.has(expr.key)) errs.push(duplicate(exprPath.child("key"), expr.key));
      keys.add(expr.key);
      if (!expr.values?.length) errs.push(required(exprPath.child("values"), "must specify as least one value"));
    });
  });
  return errs;
}

/** upstream's ValidateStorageClassUpdate: parameters, provisioner, reclaimPolicy and volumeBindingMode are fixed. */
export function validateStorageClassUpdate(storageClass: StorageClass, old: StorageClass): FieldError[] {
  const errs = [
    ...validateObjectMetaUpdate(storageClass.metadata, old.metadata),
    ...validateStorageClass(storageClass),
  ];
  if (!deepEqual(storageClass.parameters ?? {}, old.parameters ?? {})) {
    errs.push(forbidden(FieldPath.root("parameters"), "updates to parameters are forbidden."));
  }
  if (storageClass.provisioner !== old.provisioner) {
    errs.push(forbidden(FieldPath.root("provisioner"), "updates to provisioner are forbidden."));
  }
  if (storageClass.reclaimPolicy !== old.reclaimPolicy) {
    errs.push(forbidden(FieldPath.root("reclaimPolicy"), "updates to reclaimPolicy are forbidden."));
  }
  errs.push(
    ...validateImmutableField(
      storageClass.volumeBindingMode,
      old.volumeBindingMode,
      FieldPath.root("volumeBindingMode"),
    ),
  );
  return errs;
}

export const storageClasses: ResourceDefinition<StorageClass> = {
  group: "storage.k8s.io",
  version: "v1",
  kind: "StorageClass",
  listKind: "StorageClassList",
  plural: "storageclasses",
  singular: "storageclass",
  shortNames: ["sc"],
  namespaced: false,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults: defaultStorageClass,
  validateCreate: validateStorageClass,
  validateUpdate: validateStorageClassUpdate,
  table: {
    columns: [
      nameColumn,
      column("Provisioner", "string", "provisioner indicates the type of the provisioner."),
      column(
        "ReclaimPolicy",
        "string",
        "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.",
      ),
      column(
        "VolumeBindingMode",
        "string",
        "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.",
      ),
      column(
        "AllowVolumeExpansion",
        "string",
        "allowVolumeExpansion shows whether the storage class allow volume expand.",
      ),
      ageColumn,
    ],
    row(storageClass, now) {
      const name = isDefaultStorageClass(storageClass)
        ? `${storageClass.metadata.name} (default)`
        : storageClass.metadata.name;
      return [
        name,
        storageClass.provisioner,
        storageClass.reclaimPolicy ?? "Delete",
        storageClass.volumeBindingMode ?? "Immediate",
        storageClass.allowVolumeExpansion ?? false,
        translateTimestampSince(storageClass.metadata.creationTimestamp, now),
      ];
    },
  },
};
