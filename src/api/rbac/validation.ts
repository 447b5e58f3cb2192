// Validation and defaults of the RBAC kinds, with upstream's rules and words (pkg/apis/rbac/validation).
import { FieldPath, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import { validateLabelSelector } from "../validation/meta.js";
import { isValidPathSegmentName, nameIsDNSSubdomain } from "../validation/names.js";
import { rbacGroup, type AggregationRule, type PolicyRule, type RoleRef, type Subject } from "./types.js";

/** upstream's ValidateRBACName: any name that is a valid path segment. */
export const rbacName = (name: string): string[] => isValidPathSegmentName(name);

export function validatePolicyRule(rule: PolicyRule, namespaced: boolean, path: FieldPath): FieldError[] {
  const errs: FieldError[] = [];
  if (!rule.verbs?.length) errs.push(required(path.child("verbs"), "verbs must contain at least one value"));
  if (rule.nonResourceURLs?.length) {
    if (namespaced) {
      errs.push(
        invalid(
          path.child("nonResourceURLs"),
          rule.nonResourceURLs,
          "namespaced rules cannot apply to non-resource URLs",
        ),
      );
    }
    if (rule.apiGroups?.length || rule.resources?.length || rule.resourceNames?.length) {
      errs.push(
        invalid(
          path.child("nonResourceURLs"),
          rule.nonResourceURLs,
          "rules cannot apply to both regular resources and non-resource URLs",
        ),
      );
    }
    return errs;
  }
  if (!rule.apiGroups?.length)
    errs.push(required(path.child("apiGroups"), "resource rules must supply at least one api group"));
  if (!rule.resources?.length)
    errs.push(required(path.child("resources"), "resource rules must supply at least one resource"));
  return errs;
}

export function validateRules(rules: PolicyRule[] | undefined, namespaced: boolean): FieldError[] {
  return (rules ?? []).flatMap((rule, i) => validatePolicyRule(rule, namespaced, FieldPath.root("rules").index(i)));
}

export function validateAggregationRule(rule: AggregationRule | undefined): FieldError[] {
  if (!rule) return [];
  const path = FieldPath.root("aggregationRule").child("clusterRoleSelectors");
  if (!rule.clusterRoleSelectors?.length)
    return [required(path, "at least one clusterRoleSelector required if aggregationRule is non-nil")];
  return rule.clusterRoleSelectors.flatMap((selector, i) => validateLabelSelector(selector, path.index(i)));
}

export function validateRoleRef(ref: RoleRef | undefined, kinds: readonly RoleRef["kind"][]): FieldError[] {
  const path = FieldPath.root("roleRef");
  const errs: FieldError[] = [];
  if (ref?.apiGroup !== rbacGroup) errs.push(notSupported(path.child("apiGroup"), ref?.apiGroup ?? "", [rbacGroup]));
  if (!ref?.kind || !kinds.includes(ref.kind)) errs.push(notSupported(path.child("kind"), ref?.kind ?? "", kinds));
  if (!ref?.name) errs.push(required(path.child("name")));
  else for (const msg of rbacName(ref.name)) errs.push(invalid(path.child("name"), ref.name, msg));
  return errs;
}

const subjectKinds: readonly Subject["kind"][] = ["ServiceAccount", "User", "Group"];

/** upstream's ValidateRoleBindingSubject; a ClusterRoleBinding's ServiceAccount subjects must name a namespace. */
export function validateSubjects(subjects: Subject[] | undefined, namespaced: boolean): FieldError[] {
  return (subjects ?? []).flatMap((subject, i) => {
    const path = FieldPath.root("subjects").index(i);
    const errs: FieldError[] = [];
    if (!subject.name) errs.push(required(path.child("name")));
    switch (subject.kind) {
      case "ServiceAccount":
        // upstream's ValidateServiceAccountName: a DNS subdomain
        for (const msg of subject.name ? nameIsDNSSubdomain(subject.name, false) : [])
          errs.push(invalid(path.child("name"), subject.name, msg));
        if (subject.apiGroup) errs.push(notSupported(path.child("apiGroup"), subject.apiGroup, [""]));
        if (!namespaced && !subject.namespace) errs.push(required(path.child("namespace")));
        break;
      case "User":
      case "Group":
        if (subject.apiGroup !== rbacGroup)
          errs.push(notSupported(path.child("apiGroup"), subject.apiGroup ?? "", [rbacGroup]));
        break;
      default:
        errs.push(notSupported(path.child("kind"), subject.kind ?? "", subjectKinds));
    }
    return errs;
  });
}

/** upstream's SetDefaults_Subject: User and Group in the RBAC group, ServiceAccount in the core group. */
export function defaultSubjects(subjects: Subject[] | undefined): void {
  for (const subject of subjects ?? []) {
    if (subject.apiGroup !== undefined && subject.apiGroup !== "") continue;
    if (subject.kind === "User" || subject.kind === "Group") subject.apiGroup = rbacGroup;
    else subject.apiGroup ??= "";
  }
}
