// apps/v1 DaemonSet: defaults, validation and table as upstream (pkg/apis/apps/v1/defaults.go
// SetDefaults_DaemonSet, pkg/apis/apps/validation ValidateDaemonSet, printers.go printDaemonSet).
import { FieldPath, forbidden, invalid, notSupported } from "../field.js";
import type { FieldError } from "../field.js";
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
import type { DaemonSet, DaemonSetUpdateStrategy } from "./types.js";

export function defaultDaemonSet(set: DaemonSet): void {
  const spec = (set.spec ??= {} as DaemonSet["spec"]);
  const strategy = (spec.updateStrategy ??= {});
  strategy.type ??= "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    strategy.rollingUpdate ??= {};
    strategy.rollingUpdate.maxUnavailable ??= 1;
    strategy.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  spec.template = defaultTemplate(spec.template);
}

/** upstream ValidateDaemonSetUpdateStrategy. */
function validateUpdateStrategy(strategy: DaemonSetUpdateStrategy | undefined, path: FieldPath): FieldError[] {
  if (strategy?.type === "OnDelete") return [];
  if (strategy?.type !== "RollingUpdate") {
    return [notSupported(path.child("type"), strategy?.type ?? "", ["OnDelete", "RollingUpdate"])];
  }
  const rollingUpdate = strategy.rollingUpdate ?? {};
  const rollingPath = path.child("rollingUpdate");
  const errs = [
    ...validatePositiveIntOrPercent(rollingUpdate.maxUnavailable, rollingPath.child("maxUnavailable")),
    ...validatePositiveIntOrPercent(rollingUpdate.maxSurge, rollingPath.child("maxSurge")),
  ];
  if (intOrPercentValue(rollingUpdate.maxUnavailable) === 0 && intOrPercentValue(rollingUpdate.maxSurge) === 0) {
    errs.push(
      invalid(rollingPath.child("maxUnavailable"), rollingUpdate.maxUnavailable, "cannot be 0 when maxSurge is 0"),
    );
  }
  for (const key of ["maxUnavailable", "maxSurge"] as const) {
    if (typeof rollingUpdate[key] === "string" && intOrPercentValue(rollingUpdate[key]) > 100) {
      errs.push(invalid(rollingPath.child(key), rollingUpdate[key], "must not be greater than 100%"));
    }
  }
  return errs;
}

function validateDaemonSet(set: DaemonSet): FieldError[] {
  const errs = validateObjectMeta(set.metadata, true, nameIsDNSSubdomain);
  const spec = set.spec ?? ({} as DaemonSet["spec"]);
  const selectorErrs = validateWorkloadSelector(spec.selector, rootSpec.child("selector"));
  // Worded for this kind, as upstream's ValidateDaemonSetSpec.
  errs.push(
    ...selectorErrs.map((e) =>
      e.detail.startsWith("empty selector") ? { ...e, detail: "empty selector is invalid for daemonset" } : e,
    ),
  );
  const templateErrs = validateReplicaSetTemplate(spec.template, spec.selector, rootSpec.child("template"));
  errs.push(
    ...templateErrs.map((e) =>
      e.field.endsWith("activeDeadlineSeconds") && e.type === "FieldValueForbidden"
        ? forbidden(
            FieldPath.root("spec").child("template", "spec", "activeDeadlineSeconds"),
            "activeDeadlineSeconds in DaemonSet is not Supported",
          )
        : e,
    ),
  );
  errs.push(...validateNonNegative(spec.minReadySeconds, rootSpec.child("minReadySeconds")));
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, rootSpec.child("revisionHistoryLimit")));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, rootSpec.child("updateStrategy")));
  return errs;
}

/** labels.FormatLabels of the template's nodeSelector: "k=v,…" sorted, or "<none>". */
function nodeSelectorCell(set: DaemonSet): string {
  const entries = Object.entries(set.spec?.template?.spec?.nodeSelector ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(",") : "<none>";
}

export const daemonSets: ResourceDefinition<DaemonSet> = {
  group: "apps",
  version: "v1",
  kind: "DaemonSet",
  listKind: "DaemonSetList",
  plural: "daemonsets",
  singular: "daemonset",
  shortNames: ["ds"],
  namespaced: true,
  categories: ["all"],
  hasStatus: true,
  verbs: standardVerbs,
  applyDefaults: defaultDaemonSet,
  prepareForCreate(set) {
    set.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
  },
  validateCreate: validateDaemonSet,
  validateUpdate: selectorWorkloadUpdate(validateDaemonSet),
  validateStatusUpdate: (set, old) => validateObjectMetaUpdate(set.metadata, old.metadata),
  bumpsGeneration: (set, old) => !deepEqual(set.spec, old.spec),
  table: {
    columns: [
      nameColumn,
      column(
        "Desired",
        "integer",
        "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).",
      ),
      column(
        "Current",
        "integer",
        "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.",
      ),
      column(
        "Ready",
        "integer",
        "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.",
      ),
      column("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
      column(
        "Available",
        "integer",
        "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)",
      ),
      column(
        "Node Selector",
        "string",
        "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
      ),
      ageColumn,
      ...wideColumns,
    ],
    row: (set, now) => [
      set.metadata.name,
      set.status?.desiredNumberScheduled ?? 0,
      set.status?.currentNumberScheduled ?? 0,
      set.status?.numberReady ?? 0,
      set.status?.updatedNumberScheduled ?? 0,
      set.status?.numberAvailable ?? 0,
      nodeSelectorCell(set),
      translateTimestampSince(set.metadata.creationTimestamp, now),
      ...wideCells(set.spec?.template, set.spec?.selector),
    ],
  },
};
