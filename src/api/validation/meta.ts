// ObjectMeta, labels, annotations, finalizers and label selectors, validated as upstream
// (apimachinery/pkg/api/validation/objectmeta.go, pkg/apis/core/validation ValidateObjectMeta).
import { FieldPath, forbidden, invalid, notSupported, required, tooLong } from "../field.js";
import type { FieldError } from "../field.js";
import type { LabelSelector, ObjectMeta } from "../meta.js";
import { isDNS1123Label, isQualifiedName, isValidLabelValue } from "./names.js";
import type { NameValidator } from "./names.js";

export const fieldImmutableErrorMsg = "field is immutable";
const totalAnnotationSizeLimitB = 256 * (1 << 10);
const standardFinalizers = new Set(["kubernetes", "orphan", "foregroundDeletion"]);

export const metadataPath = FieldPath.root("metadata");

export function validateLabelName(name: string, path: FieldPath): FieldError[] {
  return isQualifiedName(name).map((msg) => invalid(path, name, msg));
}

export function validateLabels(labels: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  for (const [key, value] of Object.entries(labels ?? {})) {
    errs.push(...validateLabelName(key, path));
    if (typeof value !== "string") errs.push(invalid(path, value, "must be a string"));
    else for (const msg of isValidLabelValue(value)) errs.push(invalid(path, value, msg));
  }
  return errs;
}

export function validateAnnotations(annotations: Record<string, string> | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [key, value] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(invalid(path, key, msg));
    total += key.length + (typeof value === "string" ? value.length : 0);
  }
  if (total > totalAnnotationSizeLimitB) errs.push(tooLong(path, totalAnnotationSizeLimitB));
  return errs;
}

export function validateFinalizerName(name: string, path: FieldPath): FieldError[] {
  const errs = isQualifiedName(name).map((msg) => invalid(path, name, msg));
  // core's extra rule: a name without a "/" must be one of the standard finalizers
  if (!name.includes("/") && !standardFinalizers.has(name)) {
    errs.push(invalid(path, name, "name is neither a standard finalizer name nor is it fully qualified"));
  }
  return errs;
}

function validateFinalizers(finalizers: string[] | undefined, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  (finalizers ?? []).forEach((name, i) => errs.push(...validateFinalizerName(name, path.index(i))));
  if (finalizers?.includes("orphan") && finalizers.includes("foregroundDeletion")) {
    errs.push(invalid(path, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"));
  }
  return errs;
}

/**
 * upstream's ValidateObjectMeta: name (or generateName), namespace present exactly when the kind is namespaced,
 * labels, annotations, finalizers, owner references.
 */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  requiresNamespace: boolean,
  nameFn: NameValidator,
  path: FieldPath = metadataPath,
): FieldError[] {
  const errs: FieldError[] = [];
  const m = meta ?? {};
  if (m.generateName) {
    for (const msg of nameFn(m.generateName, true)) errs.push(invalid(path.child("generateName"), m.generateName, msg));
  }
  if (!m.name) errs.push(required(path.child("name"), "name or generateName is required"));
  else for (const msg of nameFn(m.name, false)) errs.push(invalid(path.child("name"), m.name, msg));
  if (requiresNamespace) {
    if (!m.namespace) errs.push(required(path.child("namespace")));
    else for (const msg of isDNS1123Label(m.namespace)) errs.push(invalid(path.child("namespace"), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(path.child("namespace"), "not allowed on this type"));
  }
  if (m.generation !== undefined && m.generation < 0) {
    errs.push(invalid(path.child("generation"), m.generation, "must be greater than or equal to 0"));
  }
  errs.push(...validateLabels(m.labels, path.child("labels")));
  errs.push(...validateAnnotations(m.annotations, path.child("annotations")));
  (m.ownerReferences ?? []).forEach((ref, i) => {
    const refPath = path.child("ownerReferences").index(i);
    if (!ref.apiVersion)
      errs.push(invalid(refPath.child("apiVersion"), ref.apiVersion ?? "", "version must not be empty"));
    if (!ref.kind) errs.push(invalid(refPath.child("kind"), ref.kind ?? "", "kind must not be empty"));
    if (!ref.name) errs.push(invalid(refPath.child("name"), ref.name ?? "", "name must not be empty"));
    if (!ref.uid) errs.push(invalid(refPath.child("uid"), ref.uid ?? "", "uid must not be empty"));
  });
  const controllers = (m.ownerReferences ?? []).filter((ref) => ref.controller);
  if (controllers.length > 1) {
    errs.push(
      invalid(
        path.child("ownerReferences"),
        m.ownerReferences,
        `Only one reference can have Controller set to true. Found "true" in references for ${controllers[0].kind}/${controllers[0].name} and ${controllers[1].kind}/${controllers[1].name}`,
      ),
    );
  }
  errs.push(...validateFinalizers(m.finalizers, path.child("finalizers")));
  return errs;
}

/** upstream's ValidateImmutableField: "field is immutable" when the value changed (deep comparison). */
export function validateImmutableField(next: unknown, old: unknown, path: FieldPath | string): FieldError[] {
  return deepEqual(next, old) ? [] : [invalid(path, next, fieldImmutableErrorMsg)];
}

/** upstream's ValidateObjectMetaUpdate: identity fields never change; labels etc. stay valid. */
export function validateObjectMetaUpdate(
  next: ObjectMeta | undefined,
  old: ObjectMeta | undefined,
  path: FieldPath = metadataPath,
): FieldError[] {
  const n = next ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateImmutableField(n.name, o.name, path.child("name")));
  errs.push(...validateImmutableField(n.namespace ?? "", o.namespace ?? "", path.child("namespace")));
  errs.push(...validateImmutableField(n.uid, o.uid, path.child("uid")));
  errs.push(...validateImmutableField(n.creationTimestamp, o.creationTimestamp, path.child("creationTimestamp")));
  if (o.deletionTimestamp && n.deletionTimestamp !== o.deletionTimestamp) {
    errs.push(...validateImmutableField(n.deletionTimestamp, o.deletionTimestamp, path.child("deletionTimestamp")));
  }
  if (n.generation !== undefined && n.generation < 0) {
    errs.push(invalid(path.child("generation"), n.generation, "must be greater than or equal to 0"));
  }
  errs.push(...validateLabels(n.labels, path.child("labels")));
  errs.push(...validateAnnotations(n.annotations, path.child("annotations")));
  errs.push(...validateFinalizers(n.finalizers, path.child("finalizers")));
  return errs;
}

const selectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"];

/** upstream's metav1 validation.ValidateLabelSelector. */
export function validateLabelSelector(selector: LabelSelector | undefined, path: FieldPath): FieldError[] {
  if (!selector) return [];
  const errs: FieldError[] = [];
  (selector.matchExpressions ?? []).forEach((req, i) => {
    const reqPath = path.child("matchExpressions").index(i);
    switch (req.operator) {
      case "In":
      case "NotIn":
        if (!req.values?.length) {
          errs.push(required(reqPath.child("values"), "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        break;
      case "Exists":
      case "DoesNotExist":
        if (req.values?.length) {
          errs.push(
            forbidden(reqPath.child("values"), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
          );
        }
        break;
      default:
        errs.push(notSupported(reqPath.child("operator"), req.operator, selectorOperators));
    }
    errs.push(...validateLabelName(req.key, reqPath.child("key")));
    (req.values ?? []).forEach((value, j) => {
      for (const msg of isValidLabelValue(value)) errs.push(invalid(reqPath.child("values").index(j), value, msg));
    });
  });
  errs.push(...validateLabels(selector.matchLabels, path.child("matchLabels")));
  return errs;
}

/** Structural equality for JSON values (objects compared key by key, ignoring absent-vs-undefined keys). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  for (const key of keys) if (!deepEqual(ra[key], rb[key])) return false;
  return true;
}
