// apps/v1 ControllerRevision: validation and table as upstream (pkg/apis/apps/validation ValidateControllerRevision,
// printers.go printControllerRevision). Only the data is immutable; the revision number moves when a controller
// rolls back to an old revision (upstream history.UpdateControllerRevision).
import { FieldPath, invalid, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateImmutableField, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { ControllerRevision } from "./types.js";

function validateControllerRevision(revision: ControllerRevision): FieldError[] {
  const errs = validateObjectMeta(revision.metadata, true, nameIsDNSSubdomain);
  if (revision.data === undefined || revision.data === null) {
    errs.push(required(FieldPath.root("data"), "data is mandatory"));
  }
  if (typeof revision.revision !== "number" || !Number.isInteger(revision.revision) || revision.revision < 0) {
    errs.push(invalid(FieldPath.root("revision"), revision.revision, "must be greater than or equal to 0"));
  }
  return errs;
}

/** "statefulset.apps/mysql": the controller column, as upstream's formatResourceName(GroupKind, name, withKind). */
export function controllerOf(revision: ControllerRevision): string {
  const ref = (revision.metadata.ownerReferences ?? []).find((r) => r.controller);
  if (!ref) return "<none>";
  const group = ref.apiVersion.includes("/") ? ref.apiVersion.split("/")[0] : "";
  return `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
}

export const controllerRevisions: ResourceDefinition<ControllerRevision> = {
  group: "apps",
  version: "v1",
  kind: "ControllerRevision",
  listKind: "ControllerRevisionList",
  plural: "controllerrevisions",
  singular: "controllerrevision",
  shortNames: [],
  namespaced: true,
  hasStatus: false,
  verbs: standardVerbs,
  applyDefaults() {},
  validateCreate: validateControllerRevision,
  validateUpdate: (revision, old) => [
    ...validateObjectMetaUpdate(revision.metadata, old.metadata),
    ...validateControllerRevision(revision),
    ...validateImmutableField(revision.data, old.data, FieldPath.root("data")),
  ],
  table: {
    columns: [
      nameColumn,
      column("Controller", "string", "Controller of the object"),
      column("Revision", "string", "Revision indicates the revision of the state represented by Data."),
      ageColumn,
    ],
    row: (revision, now) => [
      revision.metadata.name,
      controllerOf(revision),
      revision.revision ?? 0,
      translateTimestampSince(revision.metadata.creationTimestamp, now),
    ],
  },
};
