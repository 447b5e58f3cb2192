// apps/v1 Deployment: defaults, validation and table as upstream (pkg/apis/apps/v1/defaults.go
// SetDefaults_Deployment, pkg/apis/apps/validation ValidateDeployment, printers.go printDeployment).
import { forbidden, invalid, notSupported, required } from "../field.js";
import type { FieldError, FieldPath } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import {
  intOrPercentValue,
  rootSpec,
  validateNonNegative,
  validatePositiveIntOrPercent,
  validateReplicaSetTemplate,
  validateWorkloadSelector,
  selectorWorkloadUpdate,
} from "./podtemplate.js";
import { defaultTemplate, wideCells, wideColumns } from "./replicaset.js";
import type { Deployment, DeploymentStrategy, IntOrPercent } from "./types.js";

export function defaultDeployment(deployment: Deployment): void {
  const spec = (deployment.spec ??= {} as Deployment["spec"]);
  if (spec.replicas === undefined) spec.replicas = 1;
  const strategy = (spec.strategy ??= {});
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    strategy.rollingUpdate ??= {};
    strategy.rollingUpdate.maxUnavailable ??= "25%";
    strategy.rollingUpdate.maxSurge ??= "25%";
  }
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined) spec.progressDeadlineSeconds = 600;
  spec.template = defaultTemplate(spec.template);
}

/** upstream's IsNotMoreThan100Percent. */
function notMoreThan100Percent(value: IntOrPercent | undefined, path: FieldPath): FieldError[] {
  if (typeof value !== "string" || intOrPercentValue(value) <= 100) return [];
  return [invalid(path, value, "must not be greater than 100%")];
}

/** upstream's ValidateDeploymentStrategy and ValidateRollingUpdateDeployment. */
function validateStrategy(strategy: DeploymentStrategy | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (strategy?.type === "Recreate") {
    if (strategy.rollingUpdate) {
      errs.push(forbidden(path.child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (strategy?.type === "RollingUpdate") {
    const rollingUpdate = strategy.rollingUpdate;
    if (!rollingUpdate) return [required(path.child("rollingUpdate"), "this should be defaulted and never be nil")];
    const unavailablePath = path.child("rollingUpdate", "maxUnavailable");
    errs.push(...validatePositiveIntOrPercent(rollingUpdate.maxUnavailable, unavailablePath));
    errs.push(...validatePositiveIntOrPercent(rollingUpdate.maxSurge, path.child("rollingUpdate", "maxSurge")));
    if (intOrPercentValue(rollingUpdate.maxUnavailable) === 0 && intOrPercentValue(rollingUpdate.maxSurge) === 0) {
      // Both zero: a rollout could never take a step.
      errs.push(invalid(unavailablePath, rollingUpdate.maxUnavailable, "may not be 0 when `maxSurge` is 0"));
    }
    errs.push(...notMoreThan100Percent(rollingUpdate.maxUnavailable, unavailablePath));
  } else {
    errs.push(notSupported(path.child("type"), strategy?.type ?? "", ["Recreate", "RollingUpdate"]));
  }
  return errs;
}

function validateDeployment(deployment: Deployment): FieldError[] {
  const errs = validateObjectMeta(deployment.metadata, true, nameIsDNSSubdomain);
  const spec = deployment.spec ?? ({} as Deployment["spec"]);
  errs.push(...validateNonNegative(spec.replicas, rootSpec.child("replicas")));
  errs.push(...validateWorkloadSelector(spec.selector, rootSpec.child("selector")));
  errs.push(...validateReplicaSetTemplate(spec.template, spec.selector, rootSpec.child("template")));
  errs.push(...validateStrategy(spec.strategy, rootSpec.child("strategy")));
  errs.push(...validateNonNegative(spec.minReadySeconds, rootSpec.child("minReadySeconds")));
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, rootSpec.child("revisionHistoryLimit")));
  const deadline = spec.progressDeadlineSeconds;
  if (deadline !== undefined) {
    const path = rootSpec.child("progressDeadlineSeconds");
    errs.push(...validateNonNegative(deadline, path));
    if (deadline <= (spec.minReadySeconds ?? 0))
      errs.push(invalid(path, deadline, "must be greater than minReadySeconds"));
  }
  return errs;
}

export const deployments: ResourceDefinition<Deployment> = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  listKind: "DeploymentList",
  plural: "deployments",
  singular: "deployment",
  shortNames: ["deploy"],
  namespaced: true,
  categories: ["all"],
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultDeployment,
  prepareForCreate(deployment) {
    deployment.status = {};
  },
  validateCreate: validateDeployment,
  validateUpdate: selectorWorkloadUpdate(validateDeployment),
  validateStatusUpdate: (deployment, old) => validateObjectMetaUpdate(deployment.metadata, old.metadata),
  // upstream bumps the generation on annotation changes too: a rollback request once travelled in one.
  bumpsGeneration: (deployment, old) =>
    !deepEqual(deployment.spec, old.spec) || !deepEqual(deployment.metadata.annotations, old.metadata.annotations),
  table: {
    columns: [
      nameColumn,
      column("Ready", "string", "Number of the pod with ready state"),
      column(
        "Up-to-date",
        "string",
        "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
      ),
      column(
        "Available",
        "string",
        "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
      ),
      ageColumn,
      ...wideColumns,
    ],
    row: (deployment, now) => [
      deployment.metadata.name,
      `${deployment.status?.readyReplicas ?? 0}/${deployment.spec?.replicas ?? 0}`,
      deployment.status?.updatedReplicas ?? 0,
      deployment.status?.availableReplicas ?? 0,
      translateTimestampSince(deployment.metadata.creationTimestamp, now),
      ...wideCells(deployment.spec?.template, deployment.spec?.selector),
    ],
  },
};
