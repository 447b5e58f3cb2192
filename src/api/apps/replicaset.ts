// apps/v1 ReplicaSet: defaults, validation and table as upstream (pkg/apis/apps/v1/defaults.go,
// pkg/apis/apps/validation ValidateReplicaSet, printers.go printReplicaSet).
import type { FieldError } from "../field.js";
import { defaultPodSpec } from "../core/pod.js";
import { formatLabelSelector } from "../selectors/labels.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { deepEqual, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSSubdomain } from "../validation/names.js";
import { standardVerbs } from "../verbs.js";
import {
  rootSpec,
  validateNonNegative,
  validateReplicaSetTemplate,
  validateWorkloadSelector,
  selectorWorkloadUpdate,
} from "./podtemplate.js";
import type { PodTemplateSpec } from "../core/types.js";
import type { LabelSelector } from "../meta.js";
import type { ReplicaSet } from "./types.js";

/** A template's pod spec defaults (restartPolicy Always, dnsPolicy, …), as the pods it stamps out get them. */
export function defaultTemplate(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const defaulted = template ?? ({ spec: { containers: [] } } as PodTemplateSpec);
  defaulted.spec ??= { containers: [] };
  defaultPodSpec(defaulted.spec);
  return defaulted;
}

export function defaultReplicaSet(set: ReplicaSet): void {
  const spec = (set.spec ??= {} as ReplicaSet["spec"]);
  if (spec.replicas === undefined) spec.replicas = 1;
  spec.template = defaultTemplate(spec.template);
}

function validateReplicaSet(set: ReplicaSet): FieldError[] {
  const errs = validateObjectMeta(set.metadata, true, nameIsDNSSubdomain);
  const spec = set.spec ?? ({} as ReplicaSet["spec"]);
  errs.push(...validateNonNegative(spec.replicas, rootSpec.child("replicas")));
  errs.push(...validateNonNegative(spec.minReadySeconds, rootSpec.child("minReadySeconds")));
  errs.push(...validateWorkloadSelector(spec.selector, rootSpec.child("selector")));
  errs.push(...validateReplicaSetTemplate(spec.template, spec.selector, rootSpec.child("template")));
  return errs;
}

/** Containers, images and selector: the -o wide cells every workload prints alike. */
export function wideCells(template: PodTemplateSpec | undefined, selector: LabelSelector | undefined) {
  const containers = template?.spec?.containers ?? [];
  return [
    containers.map((c) => c.name).join(","),
    containers.map((c) => c.image ?? "").join(","),
    formatLabelSelector(selector),
  ];
}

export const wideColumns = [
  column("Containers", "string", "Names of each container in the template.", 1),
  column("Images", "string", "Images referenced by each container in the template.", 1),
  column(
    "Selector",
    "string",
    "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    1,
  ),
];

export const replicaSets: ResourceDefinition<ReplicaSet> = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  listKind: "ReplicaSetList",
  plural: "replicasets",
  singular: "replicaset",
  shortNames: ["rs"],
  namespaced: true,
  categories: ["all"],
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultReplicaSet,
  prepareForCreate(set) {
    set.status = { replicas: 0 };
  },
  validateCreate: validateReplicaSet,
  validateUpdate: selectorWorkloadUpdate(validateReplicaSet),
  validateStatusUpdate: (set, old) => validateObjectMetaUpdate(set.metadata, old.metadata),
  bumpsGeneration: (set, old) => !deepEqual(set.spec, old.spec),
  table: {
    columns: [
      nameColumn,
      column("Desired", "integer", "Replicas is the number of desired pods."),
      column("Current", "integer", "Replicas is the most recently observed number of replicas."),
      column("Ready", "integer", "The number of ready replicas for this replica set."),
      ageColumn,
      ...wideColumns,
    ],
    row: (set, now) => [
      set.metadata.name,
      set.spec?.replicas ?? 0,
      set.status?.replicas ?? 0,
      set.status?.readyReplicas ?? 0,
      translateTimestampSince(set.metadata.creationTimestamp, now),
      ...wideCells(set.spec?.template, set.spec?.selector),
    ],
  },
};
