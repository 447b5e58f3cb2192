// snapshot.storage.k8s.io/v1 VolumeSnapshot, validated per its CRD schema and CEL rules.
import { FieldPath, invalid, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { crdAgeColumn } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { crdColumn, crdTable, sourceRules } from "./crd.js";
import type { VolumeSnapshot } from "./types.js";

function validateVolumeSnapshot(snapshot: VolumeSnapshot): FieldError[] {
  const errs = validateObjectMeta(snapshot.metadata, true, nameIsDNSSubdomain);
  const specPath = FieldPath.root("spec");
  if (!snapshot.spec) return [...errs, required(specPath)];
  const source = snapshot.spec.source;
  if (!source) errs.push(required(specPath.child("source")));
  else if ((source.persistentVolumeClaimName === undefined) === (source.volumeSnapshotContentName === undefined)) {
    errs.push(
      invalid(
        specPath.child("source"),
        "object",
        "exactly one of volumeSnapshotContentName and persistentVolumeClaimName must be set",
      ),
    );
  }
  if (snapshot.spec.volumeSnapshotClassName === "") {
    errs.push(
      invalid(
        specPath.child("volumeSnapshotClassName"),
        "",
        "volumeSnapshotClassName must not be the empty string when set",
      ),
    );
  }
  return errs;
}

export const volumeSnapshots: ResourceDefinition<VolumeSnapshot> = {
  group: "snapshot.storage.k8s.io",
  version: "v1",
  kind: "VolumeSnapshot",
  listKind: "VolumeSnapshotList",
  plural: "volumesnapshots",
  singular: "volumesnapshot",
  shortNames: ["vs"],
  namespaced: true,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateVolumeSnapshot,
  validateUpdate: (snapshot, old) => [
    ...validateObjectMetaUpdate(snapshot.metadata, old.metadata),
    ...validateVolumeSnapshot(snapshot),
    ...sourceRules(
      snapshot.spec?.source as Record<string, unknown> | undefined,
      old.spec?.source as Record<string, unknown> | undefined,
      ["persistentVolumeClaimName", "volumeSnapshotContentName"],
      FieldPath.root("spec", "source"),
    ),
  ],
  validateStatusUpdate: (snapshot, old) => validateObjectMetaUpdate(snapshot.metadata, old.metadata),
  bumpsGeneration: (snapshot, old) => JSON.stringify(snapshot.spec) !== JSON.stringify(old.spec),
  table: crdTable<VolumeSnapshot>([
    crdColumn(
      "ReadyToUse",
      "boolean",
      "status.readyToUse",
      "Indicates if the snapshot is ready to be used to restore a volume.",
    ),
    crdColumn(
      "SourcePVC",
      "string",
      "spec.source.persistentVolumeClaimName",
      "If a new snapshot needs to be created, this contains the name of the source PVC from which this snapshot was (or will be) created.",
    ),
    crdColumn(
      "SourceSnapshotContent",
      "string",
      "spec.source.volumeSnapshotContentName",
      "If a snapshot already exists, this contains the name of the existing VolumeSnapshotContent object representing the existing snapshot.",
    ),
    crdColumn(
      "RestoreSize",
      "string",
      "status.restoreSize",
      "Represents the minimum size of volume required to rehydrate from this snapshot.",
    ),
    crdColumn(
      "SnapshotClass",
      "string",
      "spec.volumeSnapshotClassName",
      "The name of the VolumeSnapshotClass requested by the VolumeSnapshot.",
    ),
    crdColumn(
      "SnapshotContent",
      "string",
      "status.boundVolumeSnapshotContentName",
      "Name of the VolumeSnapshotContent object to which the VolumeSnapshot object intends to bind to.",
    ),
    crdColumn(
      "CreationTime",
      "date",
      "status.creationTime",
      "Timestamp when the point-in-time snapshot was taken by the underlying storage system.",
    ),
    { column: crdAgeColumn, jsonPath: "metadata.creationTimestamp" },
  ]),
};
