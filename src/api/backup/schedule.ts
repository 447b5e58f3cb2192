// backup.stowage.dev/v1 Schedule: a Backup made from its template on a cron schedule, kept for the template's TTL.
import { invalid, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { crdAgeColumn } from "../table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { crdColumn, crdTable } from "../snapshot/crd.js";
import { backupScheduleError } from "./cron.js";
import { backupGroup, defaultTtl, root, validateBackupSpec } from "./common.js";
import type { Schedule } from "./types.js";

function validateSchedule(schedule: Schedule): FieldError[] {
  const errs = validateObjectMeta(schedule.metadata, true, nameIsDNSSubdomain);
  const spec = schedule.spec;
  if (!spec?.schedule) errs.push(required(root("spec").child("schedule")));
  else {
    const problem = backupScheduleError(spec.schedule);
    if (problem) errs.push(invalid(root("spec").child("schedule"), spec.schedule, problem));
  }
  errs.push(...validateBackupSpec(spec?.template, root("spec").child("template")));
  return errs;
}

export const schedules: ResourceDefinition<Schedule> = {
  group: backupGroup,
  version: "v1",
  kind: "Schedule",
  listKind: "ScheduleList",
  plural: "schedules",
  singular: "schedule",
  shortNames: [],
  categories: ["velero"],
  namespaced: true,
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults(schedule) {
    schedule.spec ??= {} as Schedule["spec"];
    schedule.spec.template ??= {};
    schedule.spec.template.ttl ??= defaultTtl;
    schedule.spec.template.snapshotVolumes ??= true;
  },
  prepareForCreate(schedule) {
    schedule.status = { phase: "New" };
  },
  validateCreate: validateSchedule,
  validateUpdate: (schedule, old) => [
    ...validateObjectMetaUpdate(schedule.metadata, old.metadata),
    ...validateSchedule(schedule),
  ],
  bumpsGeneration: (schedule, old) => JSON.stringify(schedule.spec) !== JSON.stringify(old.spec),
  table: crdTable<Schedule>([
    crdColumn("Status", "string", "status.phase", "Status of the schedule"),
    crdColumn("Schedule", "string", "spec.schedule", "A Cron expression defining when to run the Backup"),
    crdColumn("LastBackup", "date", "status.lastBackup", "The last time a Backup was run for this schedule"),
    { column: crdAgeColumn, jsonPath: "metadata.creationTimestamp" },
    crdColumn("Paused", "boolean", "spec.paused"),
  ]),
};
