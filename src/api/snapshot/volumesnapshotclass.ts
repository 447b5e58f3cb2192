// snapshot.storage.k8s.io/v1 VolumeSnapshotClass, validated per its CRD schema.
import { FieldPath, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { crdAgeColumn } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { crdColumn, crdTable, deletionPolicies } from "./crd.js";
import type { VolumeSnapshotClass } from "./types.js";

function validateVolumeSnapshotClass(snapshotClass: VolumeSnapshotClass): FieldError[] {
  const errs = validateObjectMeta(snapshotClass.metadata, false, nameIsDNSSubdomain);
  if (!snapshotClass.deletionPolicy) errs.push(required(FieldPath.root("deletionPolicy")));
  else if (!deletionPolicies.includes(snapshotClass.deletionPolicy)) {
    errs.push(notSupported(FieldPath.root("deletionPolicy"), snapshotClass.deletionPolicy, deletionPolicies));
  }
  if (!snapshotClass.driver) errs.push(required(FieldPath.root("driver")));
  return errs;
}

export const volumeSnapshotClasses: ResourceDefinition<VolumeSnapshotClass> = {
  group: "snapshot.storage.k8s.io",
  version: "v1",
  kind: "VolumeSnapshotClass",
  listKind: "VolumeSnapshotClassList",
  plural: "volumesnapshotclasses",
  singular: "volumesnapshotclass",
  shortNames: ["vsclass", "vsclasses"],
  namespaced: false,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateVolumeSnapshotClass,
  validateUpdate: (snapshotClass, old) => [
    ...validateObjectMetaUpdate(snapshotClass.metadata, old.metadata),
    ...validateVolumeSnapshotClass(snapshotClass),
  ],
  bumpsGeneration: (snapshotClass, old) => {
    const strip = (c: VolumeSnapshotClass): string => JSON.stringify({ ...c, metadata: undefined });
    return strip(snapshotClass) !== strip(old);
  },
  table: crdTable<VolumeSnapshotClass>([
    crdColumn("Driver", "string", "driver"),
    crdColumn(
      "DeletionPolicy",
      "string",
      "deletionPolicy",
      "Determines whether a VolumeSnapshotContent created through the VolumeSnapshotClass should be deleted when its bound VolumeSnapshot is deleted.",
    ),
    { column: crdAgeColumn, jsonPath: "metadata.creationTimestamp" },
  ]),
};
