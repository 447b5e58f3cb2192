// What Deployments and ReplicaSets share (upstream pkg/apis/apps/validation): the replica-set rules of a pod
// template, the selector rules, and int-or-percent values (maxSurge, maxUnavailable).
import { FieldPath, forbidden, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import type { PodTemplateSpec } from "../core/types.js";
import { validatePodSpec } from "../core/validate-pod.js";
import type { LabelSelector } from "../meta.js";
import { labelMatcherFromSelector, SelectorParseError } from "../selectors/labels.js";
import type { KubeObject } from "../meta.js";
import {
  validateAnnotations,
  validateImmutableField,
  validateLabelSelector,
  validateLabels,
  validateObjectMetaUpdate,
} from "../validation/meta.js";
import type { IntOrPercent } from "./types.js";

const nonNegative = "must be greater than or equal to 0";

/** upstream's ValidateNonnegativeField, for an optional number. */
export function validateNonNegative(value: number | undefined, path: FieldPath): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, nonNegative)] : [];
}

/** A selector that is required, valid and not empty ("empty selector is invalid for deployment", as upstream). */
export function validateWorkloadSelector(selector: LabelSelector | undefined, path: FieldPath): FieldError[] {
  if (!selector) return [required(path)];
  const errs = validateLabelSelector(selector, path);
  if (Object.keys(selector.matchLabels ?? {}).length + (selector.matchExpressions?.length ?? 0) === 0) {
    errs.push(invalid(path, selector, "empty selector is invalid for deployment"));
  }
  return errs;
}

/** Do the template's labels satisfy the selector? An invalid selector is reported by validateWorkloadSelector. */
function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  try {
    return labelMatcherFromSelector(selector).matches(labels);
  } catch (err) {
    if (err instanceof SelectorParseError) return true;
    throw err;
  }
}

/** upstream's ValidatePodTemplateSpecForReplicaSet: the selector picks the template, which restarts Always. */
export function validateReplicaSetTemplate(
  template: PodTemplateSpec | undefined,
  selector: LabelSelector | undefined,
  path: FieldPath,
): FieldError[] {
  if (!template) return [required(path)];
  const errs: FieldError[] = [];
  const labels = template.metadata?.labels ?? {};
  if (selector && !selects(selector, labels)) {
    errs.push(invalid(path.child("metadata", "labels"), labels, "`selector` does not match template `labels`"));
  }
  // upstream's ValidatePodTemplateSpec checks these at the template's own path (spec.template.labels).
  errs.push(...validateLabels(template.metadata?.labels, path.child("labels")));
  errs.push(...validateAnnotations(template.metadata?.annotations, path.child("annotations")));
  errs.push(...validatePodSpec(template.spec, path.child("spec")));
  const restartPolicy = template.spec?.restartPolicy;
  if (restartPolicy && restartPolicy !== "Always") {
    errs.push(notSupported(path.child("spec", "restartPolicy"), restartPolicy, ["Always"]));
  }
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      forbidden(path.child("spec", "activeDeadlineSeconds"), "activeDeadlineSeconds in ReplicaSet is not Supported"),
    );
  }
  return errs;
}

const percentPattern = /^[0-9]+%$/;
export const percentMessage =
  "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";

/** upstream's ValidatePositiveIntOrPercent. */
export function validatePositiveIntOrPercent(value: IntOrPercent | undefined, path: FieldPath): FieldError[] {
  if (value === undefined) return [];
  if (typeof value === "string") return percentPattern.test(value) ? [] : [invalid(path, value, percentMessage)];
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return [invalid(path, value, "must be an integer or percentage (e.g '5%')")];
  }
  return validateNonNegative(value, path);
}

/** The number an int-or-percent names before scaling (upstream getIntOrPercentValue): 25 for "25%". */
export function intOrPercentValue(value: IntOrPercent | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && percentPattern.test(value)) return Number.parseInt(value, 10);
  return 0;
}

/**
 * upstream intstr.GetScaledValueFromIntOrPercent: an int as is, a percent of `total` rounded up or down.
 * maxSurge rounds up and maxUnavailable down, so that a rollout always moves.
 */
export function scaledValue(value: IntOrPercent | undefined, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const percent = intOrPercentValue(value);
  const exact = (percent * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

export const rootSpec = FieldPath.root("spec");

/**
 * The update check of an apps/v1 workload selected by `spec.selector` (ReplicaSet, Deployment, DaemonSet): metadata
 * as any update, the object as a create, and the selector immutable, as apps/v1 made it (upstream's strategies'
 * ValidateUpdate).
 */
export function selectorWorkloadUpdate<T extends KubeObject & { spec?: { selector?: LabelSelector } }>(
  validate: (object: T) => FieldError[],
): (object: T, old: T) => FieldError[] {
  return (object, old) => [
    ...validateObjectMetaUpdate(object.metadata, old.metadata),
    ...validate(object),
    ...validateImmutableField(object.spec?.selector, old.spec?.selector, rootSpec.child("selector")),
  ];
}
