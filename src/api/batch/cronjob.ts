// batch/v1 CronJob: defaults, validation and table as upstream (pkg/apis/batch/v1/defaults.go SetDefaults_CronJob,
// pkg/apis/batch/validation ValidateCronJob, printers.go printCronJob).
import { FieldPath, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import { validateNonNegative } from "../apps/podtemplate.js";
import { wideCells, wideColumns } from "../apps/replicaset.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import { defaultJobSpec, validateJobSpec } from "./job.js";
import { scheduleError, timeZoneError } from "./schedule.js";
import type { CronJob, CronJobSpec, JobSpec } from "./types.js";

export function defaultCronJob(cronJob: CronJob): void {
  const spec = (cronJob.spec ??= {} as CronJobSpec);
  spec.concurrencyPolicy ??= "Allow";
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  spec.jobTemplate ??= { spec: {} as JobSpec };
  spec.jobTemplate.spec ??= {} as JobSpec;
  defaultJobSpec(spec.jobTemplate.spec);
}

/** upstream validateScheduleFormat and validateTimeZone. */
function validateSchedule(spec: CronJobSpec, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  const schedulePath = path.child("schedule");
  if (!spec.schedule) errs.push(required(schedulePath));
  else {
    const problem = scheduleError(spec.schedule);
    if (problem) errs.push(invalid(schedulePath, spec.schedule, problem));
    if (spec.schedule.includes("TZ")) {
      errs.push(
        invalid(schedulePath, spec.schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"),
      );
    }
  }
  const timeZone = spec.timeZone;
  if (timeZone !== undefined) {
    const zonePath = path.child("timeZone");
    if (timeZone === "") errs.push(invalid(zonePath, timeZone, "timeZone must be nil or non-empty string"));
    else if (timeZone.toLowerCase() === "local") {
      errs.push(
        invalid(
          zonePath,
          timeZone,
          "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
        ),
      );
    } else {
      const problem = timeZoneError(timeZone);
      if (problem) errs.push(invalid(zonePath, timeZone, problem));
    }
  }
  return errs;
}

function validateCronJob(cronJob: CronJob): FieldError[] {
  // upstream: a CronJob's name leaves room for the 11-character suffix of its Jobs' names.
  const errs = validateObjectMeta(cronJob.metadata, true, nameIsDNSSubdomain);
  const name = cronJob.metadata.name ?? "";
  if (name.length > 52) {
    errs.push(invalid(FieldPath.root("metadata").child("name"), name, "must be no more than 52 characters"));
  }
  const path = FieldPath.root("spec");
  const spec = cronJob.spec ?? ({} as CronJobSpec);
  errs.push(...validateSchedule(spec, path));
  errs.push(...validateNonNegative(spec.startingDeadlineSeconds, path.child("startingDeadlineSeconds")));
  const policy = spec.concurrencyPolicy;
  if (policy !== "Allow" && policy !== "Forbid" && policy !== "Replace") {
    errs.push(notSupported(path.child("concurrencyPolicy"), policy ?? "", ["Allow", "Forbid", "Replace"]));
  }
  errs.push(...validateNonNegative(spec.successfulJobsHistoryLimit, path.child("successfulJobsHistoryLimit")));
  errs.push(...validateNonNegative(spec.failedJobsHistoryLimit, path.child("failedJobsHistoryLimit")));
  errs.push(...validateJobSpec(spec.jobTemplate?.spec, path.child("jobTemplate", "spec"), false));
  return errs;
}

export const cronJobs: ResourceDefinition<CronJob> = {
  group: "batch",
  version: "v1",
  kind: "CronJob",
  listKind: "CronJobList",
  plural: "cronjobs",
  singular: "cronjob",
  shortNames: ["cj"],
  namespaced: true,
  categories: ["all"],
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultCronJob,
  prepareForCreate(cronJob) {
    cronJob.status = {};
  },
  validateCreate: validateCronJob,
  validateUpdate: (cronJob, old) => [
    ...validateObjectMetaUpdate(cronJob.metadata, old.metadata),
    ...validateCronJob(cronJob),
  ],
  validateStatusUpdate: (cronJob, old) => validateObjectMetaUpdate(cronJob.metadata, old.metadata),
  bumpsGeneration: (cronJob, old) => !deepEqual(cronJob.spec, old.spec),
  table: {
    columns: [
      nameColumn,
      column("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
      column(
        "Timezone",
        "string",
        "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.",
      ),
      column(
        "Suspend",
        "boolean",
        "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.",
      ),
      column("Active", "integer", "A list of pointers to currently running jobs."),
      column("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
      ageColumn,
      ...wideColumns,
    ],
    row: (cronJob, now) => [
      cronJob.metadata.name,
      cronJob.spec?.schedule ?? "",
      cronJob.spec?.timeZone ?? "<none>",
      cronJob.spec?.suspend === undefined ? "<unset>" : cronJob.spec.suspend ? "True" : "False",
      cronJob.status?.active?.length ?? 0,
      cronJob.status?.lastScheduleTime ? translateTimestampSince(cronJob.status.lastScheduleTime, now) : "<none>",
      translateTimestampSince(cronJob.metadata.creationTimestamp, now),
      ...wideCells(cronJob.spec?.jobTemplate?.spec?.template, cronJob.spec?.jobTemplate?.spec?.selector),
    ],
  },
};
