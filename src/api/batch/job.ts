// batch/v1 Job: defaults, generated selector, validation and table as upstream (pkg/apis/batch/v1/defaults.go,
// pkg/registry/batch/job/strategy.go generateSelector, pkg/apis/batch/validation, printers.go printJob).
import { FieldPath, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import { validateNonNegative, validateWorkloadSelector } from "../apps/podtemplate.js";
import { defaultTemplate, wideCells, wideColumns } from "../apps/replicaset.js";
import { validatePodSpec } from "../core/validate-pod.js";
import type { ResourceDefinition } from "../resource.js";
import { labelMatcherFromSelector, SelectorParseError } from "../selectors/labels.js";
import { ageColumn, column, humanDuration, nameColumn, translateTimestampSince } from "../table.js";
import {
  deepEqual,
  validateAnnotations,
  validateImmutableField,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { Job, JobCondition, JobSpec } from "./types.js";

export const ControllerUidLabel = "batch.kubernetes.io/controller-uid";
export const JobNameLabel = "batch.kubernetes.io/job-name";
/** The labels of earlier releases, still set for selectors written against them. */
export const LegacyControllerUidLabel = "controller-uid";
export const LegacyJobNameLabel = "job-name";

/** SetDefaults_Job for a spec (a CronJob's jobTemplate gets the same). */
export function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= "NonIndexed";
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= "TerminatingOrFailed";
  spec.template = defaultTemplate(spec.template);
}

export function defaultJob(job: Job): void {
  job.spec ??= {} as JobSpec;
  defaultJobSpec(job.spec);
  const labels = job.spec.template.metadata?.labels;
  if (labels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...labels };
}

/** upstream generateSelector: the Job's pods carry its uid and name, and the selector picks them by uid. */
function generateSelector(job: Job): void {
  if (job.spec?.manualSelector) return;
  const uid = job.metadata.uid ?? "";
  const name = job.metadata.name ?? "";
  const template = (job.spec.template ??= { spec: { containers: [] } });
  template.metadata = {
    ...template.metadata,
    labels: {
      ...template.metadata?.labels,
      [ControllerUidLabel]: uid,
      [JobNameLabel]: name,
      [LegacyControllerUidLabel]: uid,
      [LegacyJobNameLabel]: name,
    },
  };
  job.spec.selector = { matchLabels: { [ControllerUidLabel]: uid } };
}

/** upstream ValidateJobSpec, for a Job and a CronJob's jobTemplate (which has no selector yet). */
export function validateJobSpec(spec: JobSpec | undefined, path: FieldPath, needsSelector: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const s = spec ?? ({} as JobSpec);
  errs.push(...validateNonNegative(s.parallelism, path.child("parallelism")));
  errs.push(...validateNonNegative(s.completions, path.child("completions")));
  errs.push(...validateNonNegative(s.activeDeadlineSeconds, path.child("activeDeadlineSeconds")));
  errs.push(...validateNonNegative(s.backoffLimit, path.child("backoffLimit")));
  errs.push(...validateNonNegative(s.ttlSecondsAfterFinished, path.child("ttlSecondsAfterFinished")));
  if (s.completionMode === "Indexed") {
    errs.push(notSupported(path.child("completionMode"), s.completionMode, ["NonIndexed"]));
  }
  const templatePath = path.child("template");
  if (needsSelector || s.selector) {
    errs.push(...validateWorkloadSelector(s.selector, path.child("selector")));
    let matches = true;
    try {
      matches = labelMatcherFromSelector(s.selector).matches(s.template?.metadata?.labels ?? {});
    } catch (err) {
      if (!(err instanceof SelectorParseError)) throw err;
    }
    if (s.selector && !matches) {
      errs.push(
        invalid(
          templatePath.child("metadata", "labels"),
          s.template?.metadata?.labels ?? {},
          "`selector` does not match template `labels`",
        ),
      );
    }
  }
  if (!s.template) return [...errs, required(templatePath)];
  errs.push(...validateLabels(s.template.metadata?.labels, templatePath.child("labels")));
  errs.push(...validateAnnotations(s.template.metadata?.annotations, templatePath.child("annotations")));
  errs.push(...validatePodSpec(s.template.spec, templatePath.child("spec")));
  const restartPolicy = s.template.spec?.restartPolicy;
  if (restartPolicy !== "OnFailure" && restartPolicy !== "Never") {
    errs.push(notSupported(templatePath.child("spec", "restartPolicy"), restartPolicy ?? "", ["OnFailure", "Never"]));
  }
  return errs;
}

const validateJob = (job: Job): FieldError[] => [
  ...validateObjectMeta(job.metadata, true, nameIsDNSSubdomain),
  ...validateJobSpec(job.spec, FieldPath.root("spec"), true),
];

/** upstream ValidateJobSpecUpdate: the selector, template and completions are fixed once the Job exists. */
function validateJobUpdate(job: Job, old: Job): FieldError[] {
  const spec = FieldPath.root("spec");
  return [
    ...validateObjectMetaUpdate(job.metadata, old.metadata),
    ...validateJobSpec(job.spec, spec, true),
    ...validateImmutableField(job.spec?.selector, old.spec?.selector, spec.child("selector")),
    ...validateImmutableField(job.spec?.template, old.spec?.template, spec.child("template")),
    ...validateImmutableField(job.spec?.completions, old.spec?.completions, spec.child("completions")),
  ];
}

export const hasCondition = (job: Job, type: JobCondition["type"]): boolean =>
  (job.status?.conditions ?? []).some((c) => c.type === type && c.status === "True");

/** printJob's STATUS cell. */
export function jobStatusCell(job: Job): string {
  if (hasCondition(job, "Complete")) return "Complete";
  if (hasCondition(job, "Failed")) return "Failed";
  if (job.metadata.deletionTimestamp) return "Terminating";
  if (hasCondition(job, "Suspended")) return "Suspended";
  if (hasCondition(job, "FailureTarget")) return "FailureTarget";
  if (hasCondition(job, "SuccessCriteriaMet")) return "SuccessCriteriaMet";
  return "Running";
}

function completionsCell(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  if (job.spec?.completions !== undefined) return `${succeeded}/${job.spec.completions}`;
  const parallelism = job.spec?.parallelism;
  return parallelism !== undefined && parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function durationCell(job: Job, now: Date): string {
  const start = Date.parse(job.status?.startTime ?? "");
  if (!Number.isFinite(start)) return "";
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now.getTime();
  return humanDuration(end - start);
}

export const jobs: ResourceDefinition<Job> = {
  group: "batch",
  version: "v1",
  kind: "Job",
  listKind: "JobList",
  plural: "jobs",
  singular: "job",
  shortNames: [],
  namespaced: true,
  categories: ["all"],
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultJob,
  prepareForCreate(job) {
    job.status = {};
    generateSelector(job);
  },
  validateCreate: validateJob,
  validateUpdate: validateJobUpdate,
  validateStatusUpdate: (job, old) => validateObjectMetaUpdate(job.metadata, old.metadata),
  bumpsGeneration: (job, old) => !deepEqual(job.spec, old.spec),
  table: {
    columns: [
      nameColumn,
      column("Status", "string", "Status of the job."),
      column("Completions", "string", "The completion status of the job as a string"),
      column("Duration", "string", "Time required to complete the job."),
      ageColumn,
      ...wideColumns,
    ],
    row: (job, now) => [
      job.metadata.name,
      jobStatusCell(job),
      completionsCell(job),
      durationCell(job, now),
      translateTimestampSince(job.metadata.creationTimestamp, now),
      ...wideCells(job.spec?.template, job.spec?.selector),
    ],
  },
};
