// apps/v1 StatefulSet: defaults, validation and table as upstream (pkg/apis/apps/v1/defaults.go,
// pkg/apis/apps/validation, printers.go printStatefulSet).
import { FieldPath, forbidden, invalid, notSupported, required } from "../field.js";
import type { FieldError } from "../field.js";
import { defaultClaimSpec, defaultPodSpec } from "../core/pod.js";
import { validatePersistentVolumeClaimSpec } from "../core/validate-volumes.js";
import type { LabelSelector } from "../meta.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import {
  deepEqual,
  validateAnnotations,
  validateLabelSelector,
  validateLabels,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import type { StatefulSet } from "./types.js";

export const statefulSetSpecUpdateMessage =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

export function defaultStatefulSet(set: StatefulSet): void {
  const spec = (set.spec ??= {} as StatefulSet["spec"]);
  if (!spec.podManagementPolicy) spec.podManagementPolicy = "OrderedReady";
  spec.updateStrategy ??= {};
  if (!spec.updateStrategy.type) {
    spec.updateStrategy.type = "RollingUpdate";
    spec.updateStrategy.rollingUpdate ??= {};
  }
  if (spec.updateStrategy.type === "RollingUpdate" && spec.updateStrategy.rollingUpdate) {
    spec.updateStrategy.rollingUpdate.partition ??= 0;
  }
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= "Retain";
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= "Retain";
  if (spec.replicas === undefined) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined) spec.revisionHistoryLimit = 10;
  spec.template ??= { spec: { containers: [] } };
  spec.template.spec ??= { containers: [] };
  defaultPodSpec(spec.template.spec);
  for (const claim of spec.volumeClaimTemplates ?? []) {
    claim.apiVersion ??= "v1";
    claim.kind ??= "PersistentVolumeClaim";
    claim.spec ??= {};
    defaultClaimSpec(claim.spec);
    claim.status ??= {};
    claim.status.phase ??= "Pending";
  }
}

/**
 * upstream dropStatefulSetDisabledFields: rollingUpdate.maxUnavailable is alpha (feature gate
 * MaxUnavailableStatefulSet, off by default in v1.32), so the apiserver drops it unless the stored set already uses it.
 * The controller updates one pod at a time whatever it says.
 */
function dropMaxUnavailable(set: StatefulSet, old: StatefulSet | undefined): void {
  if (old?.spec?.updateStrategy?.rollingUpdate?.maxUnavailable !== undefined) return;
  const rollingUpdate = set.spec?.updateStrategy?.rollingUpdate;
  if (rollingUpdate) delete rollingUpdate.maxUnavailable;
}

/** Does an equality/set-based selector match these labels? (Enough for the template check.) */
function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = req.key in labels;
    const value = labels[req.key];
    if (req.operator === "In" && !(has && (req.values ?? []).includes(value))) return false;
    if (req.operator === "NotIn" && has && (req.values ?? []).includes(value)) return false;
    if (req.operator === "Exists" && !has) return false;
    if (req.operator === "DoesNotExist" && has) return false;
  }
  return true;
}

function validateStatefulSet(set: StatefulSet): FieldError[] {
  const errs = validateObjectMeta(set.metadata, true, nameIsDNSSubdomain);
  const path = FieldPath.root("spec");
  const spec = set.spec ?? ({} as StatefulSet["spec"]);
  const policy = spec.podManagementPolicy;
  if (!policy) errs.push(required(path.child("podManagementPolicy")));
  else if (policy !== "OrderedReady" && policy !== "Parallel") {
    errs.push(invalid(path.child("podManagementPolicy"), policy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const strategy = spec.updateStrategy?.type;
  if (!strategy) errs.push(required(path.child("updateStrategy")));
  else if (strategy === "OnDelete") {
    if (spec.updateStrategy?.rollingUpdate) {
      errs.push(
        invalid(
          path.child("updateStrategy", "rollingUpdate"),
          spec.updateStrategy.rollingUpdate,
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
    }
  } else if (strategy === "RollingUpdate") {
    const partition = spec.updateStrategy?.rollingUpdate?.partition;
    if (partition !== undefined && partition < 0) {
      errs.push(
        invalid(
          path.child("updateStrategy", "rollingUpdate", "partition"),
          partition,
          "must be greater than or equal to 0",
        ),
      );
    }
  } else {
    errs.push(invalid(path.child("updateStrategy"), spec.updateStrategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy;
  for (const key of ["whenDeleted", "whenScaled"] as const) {
    const value = retention?.[key];
    if (value !== undefined && value !== "Retain" && value !== "Delete") {
      errs.push(notSupported(path.child("persistentVolumeClaimRetentionPolicy", key), value, ["Retain", "Delete"]));
    }
  }
  if ((spec.replicas ?? 0) < 0)
    errs.push(invalid(path.child("replicas"), spec.replicas, "must be greater than or equal to 0"));
  if ((spec.minReadySeconds ?? 0) < 0) {
    errs.push(invalid(path.child("minReadySeconds"), spec.minReadySeconds, "must be greater than or equal to 0"));
  }
  if (!spec.selector) errs.push(required(path.child("selector")));
  else {
    errs.push(...validateLabelSelector(spec.selector, path.child("selector")));
    if (Object.keys(spec.selector.matchLabels ?? {}).length + (spec.selector.matchExpressions?.length ?? 0) === 0) {
      errs.push(invalid(path.child("selector"), spec.selector, "empty selector is invalid for statefulset"));
    }
  }
  const templatePath = path.child("template");
  const labels = spec.template?.metadata?.labels ?? {};
  if (spec.selector && !selectorMatches(spec.selector, labels)) {
    errs.push(invalid(templatePath.child("metadata", "labels"), labels, "`selector` does not match template `labels`"));
  }
  errs.push(...validateLabels(spec.template?.metadata?.labels, templatePath.child("labels")));
  errs.push(...validateAnnotations(spec.template?.metadata?.annotations, templatePath.child("annotations")));
  if (spec.template?.spec?.restartPolicy !== "Always") {
    errs.push(
      notSupported(templatePath.child("spec", "restartPolicy"), spec.template?.spec?.restartPolicy ?? "", ["Always"]),
    );
  }
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      forbidden(
        templatePath.child("spec", "activeDeadlineSeconds"),
        "activeDeadlineSeconds in StatefulSet is not Supported",
      ),
    );
  }
  (spec.volumeClaimTemplates ?? []).forEach((claim, i) => {
    const claimPath = path.child("volumeClaimTemplates").index(i);
    if (!claim.metadata?.name) errs.push(required(claimPath.child("metadata", "name")));
    errs.push(...validatePersistentVolumeClaimSpec(claim.spec, claimPath.child("spec")));
  });
  return errs;
}

function validateStatefulSetUpdate(set: StatefulSet, old: StatefulSet): FieldError[] {
  const errs = [...validateObjectMetaUpdate(set.metadata, old.metadata), ...validateStatefulSet(set)];
  const mutable = [
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
  ];
  const strip = (s: StatefulSet): Record<string, unknown> => {
    const copy: Record<string, unknown> = { ...(s.spec ?? {}) };
    for (const key of mutable) delete copy[key];
    return copy;
  };
  if (!deepEqual(strip(set), strip(old))) errs.push(forbidden(FieldPath.root("spec"), statefulSetSpecUpdateMessage));
  return errs;
}

export const statefulSets: ResourceDefinition<StatefulSet> = {
  group: "apps",
  version: "v1",
  kind: "StatefulSet",
  listKind: "StatefulSetList",
  plural: "statefulsets",
  singular: "statefulset",
  shortNames: ["sts"],
  namespaced: true,
  categories: ["all"],
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultStatefulSet,
  prepareForCreate(set) {
    set.status = { replicas: 0 };
    dropMaxUnavailable(set, undefined);
  },
  prepareForUpdate(set, old, subresource) {
    if (subresource === "") dropMaxUnavailable(set, old);
  },
  validateCreate: validateStatefulSet,
  validateUpdate: validateStatefulSetUpdate,
  validateStatusUpdate: (set, old) => validateObjectMetaUpdate(set.metadata, old.metadata),
  bumpsGeneration: (set, old) => !deepEqual(set.spec, old.spec),
  table: {
    columns: [
      nameColumn,
      column("Ready", "string", "Number of the pod with ready state"),
      ageColumn,
      column("Containers", "string", "Names of each container in the template.", 1),
      column("Images", "string", "Images referenced by each container in the template.", 1),
    ],
    row: (set, now) => {
      const containers = set.spec?.template?.spec?.containers ?? [];
      return [
        set.metadata.name,
        `${set.status?.readyReplicas ?? 0}/${set.spec?.replicas ?? 0}`,
        translateTimestampSince(set.metadata.creationTimestamp, now),
        containers.map((c) => c.name).join(","),
        containers.map((c) => c.image ?? "").join(","),
      ];
    },
  },
};
