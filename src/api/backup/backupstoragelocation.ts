// backup.stowage.dev/v1 BackupStorageLocation: where backups go (a restic repository) and the Secret holding its
// password; Velero's columns (its CRD's additionalPrinterColumns).
import { notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { crdAgeColumn } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { crdColumn, crdTable } from "../snapshot/crd.js";
import { backupGroup, root } from "./common.js";
import type { BackupStorageLocation } from "./types.js";

export const resticProvider = "restic";

function validateLocation(location: BackupStorageLocation): FieldError[] {
  const errs = validateObjectMeta(location.metadata, true, nameIsDNSSubdomain);
  const spec = location.spec;
  if (spec.provider !== resticProvider)
    errs.push(notSupported(root("spec").child("provider"), spec.provider, [resticProvider]));
  if (!spec.objectStorage?.bucket) {
    errs.push(required(root("spec").child("objectStorage", "bucket"), "a directory or a restic repository URL"));
  }
  if (!spec.credential?.name)
    errs.push(required(root("spec").child("credential", "name"), "the Secret holding the repository password"));
  if (!spec.credential?.key) errs.push(required(root("spec").child("credential", "key")));
  if (spec.accessMode !== undefined && !["ReadWrite", "ReadOnly"].includes(spec.accessMode)) {
    errs.push(notSupported(root("spec").child("accessMode"), spec.accessMode, ["ReadWrite", "ReadOnly"]));
  }
  return errs;
}

export const backupStorageLocations: ResourceDefinition<BackupStorageLocation> = {
  group: backupGroup,
  version: "v1",
  kind: "BackupStorageLocation",
  listKind: "BackupStorageLocationList",
  plural: "backupstoragelocations",
  singular: "backupstoragelocation",
  shortNames: ["bsl"],
  categories: ["velero"],
  namespaced: true,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults(location) {
    location.spec ??= {} as BackupStorageLocation["spec"];
    location.spec.accessMode ??= "ReadWrite";
  },
  validateCreate: validateLocation,
  validateUpdate: (location, old) => [
    ...validateObjectMetaUpdate(location.metadata, old.metadata),
    ...validateLocation(location),
  ],
  bumpsGeneration: (location, old) => JSON.stringify(location.spec) !== JSON.stringify(old.spec),
  table: crdTable<BackupStorageLocation>([
    crdColumn("Phase", "string", "status.phase", "Backup Storage Location status such as Available/Unavailable"),
    crdColumn(
      "Last Validated",
      "date",
      "status.lastValidationTime",
      "LastValidationTime is the last time the backup store location was validated",
    ),
    { column: crdAgeColumn, jsonPath: "metadata.creationTimestamp" },
    crdColumn("Default", "boolean", "spec.default", "Default backup storage location"),
  ]),
};
