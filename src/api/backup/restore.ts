// backup.stowage.dev/v1 Restore: a backup's objects and data brought back, into the same or mapped namespaces.
import { forbidden, invalid, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { crdAgeColumn } from "../table.js";
import { deepEqual, validateLabelSelector, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { isDNS1123Label, nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { crdColumn, crdTable } from "../snapshot/crd.js";
import { backupGroup, root } from "./common.js";
import type { Restore } from "./types.js";

function validateRestore(restore: Restore): FieldError[] {
  const errs = validateObjectMeta(restore.metadata, true, nameIsDNSSubdomain);
  const spec = restore.spec ?? {};
  if (!spec.backupName && !spec.scheduleName) {
    errs.push(required(root("spec").child("backupName"), "either spec.backupName or spec.scheduleName"));
  }
  for (const [from, to] of Object.entries(spec.namespaceMapping ?? {})) {
    for (const msg of isDNS1123Label(to)) errs.push(invalid(root("spec").child("namespaceMapping").key(from), to, msg));
  }
  errs.push(...validateLabelSelector(spec.labelSelector, root("spec").child("labelSelector")));
  if (spec.existingResourcePolicy !== undefined && !["none", "update"].includes(spec.existingResourcePolicy)) {
    errs.push(
      invalid(root("spec").child("existingResourcePolicy"), spec.existingResourcePolicy, 'must be "none" or "update"'),
    );
  }
  return errs;
}

export const restores: ResourceDefinition<Restore> = {
  group: backupGroup,
  version: "v1",
  kind: "Restore",
  listKind: "RestoreList",
  plural: "restores",
  singular: "restore",
  shortNames: [],
  categories: ["velero"],
  namespaced: true,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults(restore) {
    restore.spec ??= {};
    restore.spec.existingResourcePolicy ??= "none";
    restore.spec.restorePVs ??= true;
  },
  prepareForCreate(restore) {
    restore.status = { phase: "New" };
  },
  validateCreate: validateRestore,
  validateUpdate: (restore, old) => {
    const errs = [...validateObjectMetaUpdate(restore.metadata, old.metadata), ...validateRestore(restore)];
    if (!deepEqual(restore.spec, old.spec))
      errs.push(forbidden(root("spec"), "a restore's spec cannot be changed once made"));
    return errs;
  },
  table: crdTable<Restore>([
    crdColumn("Backup", "string", "spec.backupName"),
    crdColumn("Status", "string", "status.phase", "The phase of the restore"),
    crdColumn("Started", "date", "status.startTimestamp"),
    crdColumn("Completed", "date", "status.completionTimestamp"),
    crdColumn("Errors", "integer", "status.errors"),
    crdColumn("Warnings", "integer", "status.warnings"),
    { column: crdAgeColumn, jsonPath: "metadata.creationTimestamp" },
  ]),
};
