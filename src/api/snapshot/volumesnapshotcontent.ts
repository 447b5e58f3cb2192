// snapshot.storage.k8s.io/v1 VolumeSnapshotContent, validated per its CRD schema and CEL rules.
import { FieldPath, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { crdAgeColumn } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { crdColumn, crdTable, deletionPolicies, sourceRules } from "./crd.js";
import type { VolumeSnapshotContent } from "./types.js";

function validateVolumeSnapshotContent(content: VolumeSnapshotContent): FieldError[] {
  const errs = validateObjectMeta(content.metadata, false, nameIsDNSSubdomain);
  const specPath = FieldPath.root("spec");
  const spec = content.spec;
  if (!spec) return [...errs, required(specPath)];
  if (!spec.deletionPolicy) errs.push(required(specPath.child("deletionPolicy")));
  else if (!deletionPolicies.includes(spec.deletionPolicy)) {
    errs.push(notSupported(specPath.child("deletionPolicy"), spec.deletionPolicy, deletionPolicies));
  }
  if (!spec.driver) errs.push(required(specPath.child("driver")));
  if (!spec.source) errs.push(required(specPath.child("source")));
  else if ((spec.source.volumeHandle === undefined) === (spec.source.snapshotHandle === undefined)) {
    errs.push(
      invalid(specPath.child("source"), "object", "exactly one of volumeHandle and snapshotHandle must be set"),
    );
  }
  if (!spec.volumeSnapshotRef) errs.push(required(specPath.child("volumeSnapshotRef")));
  else if (!spec.volumeSnapshotRef.name || !spec.volumeSnapshotRef.namespace) {
    errs.push(
      invalid(
        specPath.child("volumeSnapshotRef"),
        "object",
        "both spec.volumeSnapshotRef.name and spec.volumeSnapshotRef.namespace must be set",
      ),
    );
  }
  if (spec.sourceVolumeMode !== undefined && !["Block", "Filesystem"].includes(spec.sourceVolumeMode)) {
    errs.push(notSupported(specPath.child("sourceVolumeMode"), spec.sourceVolumeMode, ["Block", "Filesystem"]));
  }
  return errs;
}

export const volumeSnapshotContents: ResourceDefinition<VolumeSnapshotContent> = {
  group: "snapshot.storage.k8s.io",
  version: "v1",
  kind: "VolumeSnapshotContent",
  listKind: "VolumeSnapshotContentList",
  plural: "volumesnapshotcontents",
  singular: "volumesnapshotcontent",
  shortNames: ["vsc", "vscs"],
  namespaced: false,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateVolumeSnapshotContent,
  validateUpdate(content, old) {
    const errs = [
      ...validateObjectMetaUpdate(content.metadata, old.metadata),
      ...validateVolumeSnapshotContent(content),
    ];
    errs.push(
      ...sourceRules(
        content.spec?.source as Record<string, unknown> | undefined,
        old.spec?.source as Record<string, unknown> | undefined,
        ["volumeHandle", "snapshotHandle"],
        FieldPath.root("spec", "source"),
      ),
    );
    if (old.spec?.sourceVolumeMode !== undefined) {
      if (content.spec?.sourceVolumeMode === undefined) {
        errs.push(invalid(FieldPath.root("spec"), "object", "sourceVolumeMode is required once set"));
      } else if (content.spec.sourceVolumeMode !== old.spec.sourceVolumeMode) {
        errs.push(
          invalid(
            FieldPath.root("spec", "sourceVolumeMode"),
            content.spec.sourceVolumeMode,
            "sourceVolumeMode is immutable",
          ),
        );
      }
    }
    return errs;
  },
  validateStatusUpdate: (content, old) => validateObjectMetaUpdate(content.metadata, old.metadata),
  bumpsGeneration: (content, old) => JSON.stringify(content.spec) !== JSON.stringify(old.spec),
  table: crdTable<VolumeSnapshotContent>([
    crdColumn(
      "ReadyToUse",
      "boolean",
      "status.readyToUse",
      "Indicates if a snapshot is ready to be used to restore a volume.",
    ),
    crdColumn("RestoreSize", "integer", "status.restoreSize", "Represents the complete size of the snapshot in bytes"),
    crdColumn(
      "DeletionPolicy",
      "string",
      "spec.deletionPolicy",
      "Determines whether this VolumeSnapshotContent and its physical snapshot on the underlying storage system should be deleted when its bound VolumeSnapshot is deleted.",
    ),
    crdColumn(
      "Driver",
      "string",
      "spec.driver",
      "Name of the CSI driver used to create the physical snapshot on the underlying storage system.",
    ),
    crdColumn(
      "VolumeSnapshotClass",
      "string",
      "spec.volumeSnapshotClassName",
      "Name of the VolumeSnapshotClass to which this snapshot belongs.",
    ),
    crdColumn(
      "VolumeSnapshot",
      "string",
      "spec.volumeSnapshotRef.name",
      "Name of the VolumeSnapshot object to which this VolumeSnapshotContent object is bound.",
    ),
    crdColumn(
      "VolumeSnapshotNamespace",
      "string",
      "spec.volumeSnapshotRef.namespace",
      "Namespace of the VolumeSnapshot object to which this VolumeSnapshotContent object is bound.",
    ),
    { column: crdAgeColumn, jsonPath: "metadata.creationTimestamp" },
  ]),
};
