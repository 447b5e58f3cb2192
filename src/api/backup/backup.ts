// backup.stowage.dev/v1 Backup: which namespaces and objects, with their claims' data, go to which location.
// The spec is fixed once made (Velero's too: a backup is a record); status is the controller's.
import { forbidden } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { crdAgeColumn } from "../table.js";
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { crdColumn, crdTable } from "../snapshot/crd.js";
import { backupGroup, defaultTtl, root, validateBackupSpec } from "./common.js";
import type { Backup } from "./types.js";

function validateBackup(backup: Backup): FieldError[] {
  return [
    ...validateObjectMeta(backup.metadata, true, nameIsDNSSubdomain),
    ...validateBackupSpec(backup.spec, root("spec")),
  ];
}

export const backups: ResourceDefinition<Backup> = {
  group: backupGroup,
  version: "v1",
  kind: "Backup",
  listKind: "BackupList",
  plural: "backups",
  singular: "backup",
  shortNames: [],
  categories: ["velero"],
  namespaced: true,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults(backup) {
    backup.spec ??= {};
    backup.spec.ttl ??= defaultTtl;
    backup.spec.snapshotVolumes ??= true;
  },
  prepareForCreate(backup) {
    backup.status = { phase: "New" };
  },
  validateCreate: validateBackup,
  validateUpdate: (backup, old) => {
    const errs = [...validateObjectMetaUpdate(backup.metadata, old.metadata), ...validateBackup(backup)];
    if (!deepEqual(backup.spec, old.spec))
      errs.push(forbidden(root("spec"), "a backup's spec cannot be changed once made"));
    return errs;
  },
  table: crdTable<Backup>([
    crdColumn("Status", "string", "status.phase", "The phase of the backup"),
    crdColumn("Errors", "integer", "status.errors"),
    crdColumn("Warnings", "integer", "status.warnings"),
    crdColumn("Items", "integer", "status.progress.itemsBackedUp", "Objects backed up"),
    crdColumn("Bytes", "integer", "status.progress.bytesAdded", "Bytes the location took for this backup"),
    crdColumn("Expires", "date", "status.expiration"),
    crdColumn("Storage Location", "string", "spec.storageLocation"),
    { column: crdAgeColumn, jsonPath: "metadata.creationTimestamp" },
  ]),
};
