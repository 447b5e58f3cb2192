// Definitions the apiserver itself cannot do without (Namespace) and stand-ins for kinds src/api/resources.ts
// does not define yet. The server serves src/api's definition whenever one exists; these fill only the gaps,
// so they shrink to nothing as src/api grows. Validation here is metadata-only on purpose.
import type { KubeObject } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../api/table.js";
import { validateObjectMeta, validateObjectMetaUpdate } from "../api/validation/meta.js";
import { nameIsDNSLabel, nameIsDNSSubdomain } from "../api/validation/names.js";
import { standardVerbs } from "../api/verbs.js";
import { AnnIsDefaultStorageClass, AnnBetaIsDefaultStorageClass } from "../api/wellknown.js";

type Loose = KubeObject &
  Record<string, unknown> & { spec?: Record<string, unknown>; status?: Record<string, unknown> };

function simple(
  group: string,
  kind: string,
  plural: string,
  options: {
    namespaced: boolean;
    shortNames?: string[];
    hasStatus?: boolean;
    dnsLabel?: boolean;
    defaults?: (o: Loose) => void;
    columns?: ResourceDefinition["table"]["columns"];
    cells?: (o: Loose, now: Date) => unknown[];
    fields?: (o: Loose) => Record<string, string>;
  },
): ResourceDefinition {
  const nameFn = options.dnsLabel ? nameIsDNSLabel : nameIsDNSSubdomain;
  return {
    group,
    version: "v1",
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    shortNames: options.shortNames ?? [],
    namespaced: options.namespaced,
    hasStatus: options.hasStatus ?? false,
    verbs: standardVerbs,
    applyDefaults: (o) => options.defaults?.(o as Loose),
    validateCreate: (o) => validateObjectMeta(o.metadata, options.namespaced, nameFn),
    validateUpdate: (o, old) => validateObjectMetaUpdate(o.metadata, old.metadata),
    validateStatusUpdate: (o, old) => validateObjectMetaUpdate(o.metadata, old.metadata),
    table: {
      columns: [nameColumn, ...(options.columns ?? []), ageColumn],
      row: (o, now) => [
        o.metadata.name,
        ...(options.cells?.(o as Loose, now) ?? []),
        translateTimestampSince(o.metadata.creationTimestamp, now),
      ],
    },
    selectableFields: options.fields ? (o) => options.fields!(o as Loose) : undefined,
  };
}

const str = (v: unknown): string => (typeof v === "string" ? v : v === undefined || v === null ? "" : String(v));

export const namespaceDefinition = simple("", "Namespace", "namespaces", {
  namespaced: false,
  shortNames: ["ns"],
  hasStatus: true,
  dnsLabel: true,
  defaults: (ns) => {
    ns.spec ??= {};
    ns.spec.finalizers ??= ["kubernetes"];
    ns.status ??= {};
    ns.status.phase ??= "Active";
  },
  columns: [column("Status", "string", "The status of the namespace")],
  cells: (ns) => [str(ns.status?.phase)],
  fields: (ns) => ({ "status.phase": str(ns.status?.phase) }),
});

const isDefaultClass = (o: KubeObject) =>
  o.metadata.annotations?.[AnnIsDefaultStorageClass] === "true" ||
  o.metadata.annotations?.[AnnBetaIsDefaultStorageClass] === "true";

export const builtinDefinitions: ResourceDefinition[] = [
  namespaceDefinition,
  simple("storage.k8s.io", "StorageClass", "storageclasses", {
    namespaced: false,
    shortNames: ["sc"],
    defaults: (sc) => {
      sc.reclaimPolicy ??= "Delete";
      sc.volumeBindingMode ??= "Immediate";
    },
    columns: [
      column("Provisioner", "string", "Indicates the type of the provisioner."),
      column(
        "ReclaimPolicy",
        "string",
        "Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy. Defaults to Delete.",
      ),
      column(
        "VolumeBindingMode",
        "string",
        "VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.",
      ),
      column(
        "AllowVolumeExpansion",
        "string",
        "AllowVolumeExpansion shows whether the storage class allow volume expand.",
      ),
    ],
    cells: (sc) => [
      str(sc.provisioner),
      str(sc.reclaimPolicy ?? "Delete"),
      str(sc.volumeBindingMode ?? "Immediate"),
      sc.allowVolumeExpansion === true,
    ],
  }),
  simple("", "Pod", "pods", {
    namespaced: true,
    shortNames: ["po"],
    hasStatus: true,
    defaults: (pod) => {
      pod.status ??= {};
      pod.status.phase ??= "Pending";
    },
    columns: [
      column("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      column("Status", "string", "The aggregate status of the containers in this pod."),
      column(
        "Restarts",
        "string",
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
      ),
    ],
    cells: (pod) => {
      const containers = Array.isArray(pod.spec?.containers) ? pod.spec.containers.length : 0;
      return [`0/${containers}`, pod.metadata.deletionTimestamp ? "Terminating" : str(pod.status?.phase), "0"];
    },
    fields: (pod) => ({
      "spec.nodeName": str(pod.spec?.nodeName),
      "spec.restartPolicy": str(pod.spec?.restartPolicy),
      "spec.schedulerName": str(pod.spec?.schedulerName),
      "spec.serviceAccountName": str(pod.spec?.serviceAccountName),
      "spec.hostNetwork": String(pod.spec?.hostNetwork === true),
      "status.phase": str(pod.status?.phase),
      "status.podIP": str(pod.status?.podIP),
      "status.nominatedNodeName": str(pod.status?.nominatedNodeName),
    }),
  }),
  simple("", "Event", "events", {
    namespaced: true,
    shortNames: ["ev"],
    columns: [
      column("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future."),
      column(
        "Reason",
        "string",
        "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
      ),
      column("Message", "string", "A human-readable description of the status of this operation."),
    ],
    cells: (ev) => [str(ev.type), str(ev.reason), str(ev.message)],
    fields: (ev) => {
      const io = (ev.involvedObject ?? {}) as Record<string, unknown>;
      const source = (ev.source ?? {}) as Record<string, unknown>;
      return {
        "involvedObject.kind": str(io.kind),
        "involvedObject.namespace": str(io.namespace),
        "involvedObject.name": str(io.name),
        "involvedObject.uid": str(io.uid),
        "involvedObject.apiVersion": str(io.apiVersion),
        "involvedObject.resourceVersion": str(io.resourceVersion),
        "involvedObject.fieldPath": str(io.fieldPath),
        reason: str(ev.reason),
        reportingComponent: str(ev.reportingComponent),
        source: str(source.component),
        type: str(ev.type),
      };
    },
  }),
  simple("", "ConfigMap", "configmaps", { namespaced: true, shortNames: ["cm"] }),
  simple("", "Secret", "secrets", {
    namespaced: true,
    fields: (s) => ({ type: str(s.type) }),
  }),
  simple("", "Node", "nodes", {
    namespaced: false,
    shortNames: ["no"],
    hasStatus: true,
    fields: (n) => ({ "spec.unschedulable": String(n.spec?.unschedulable === true) }),
  }),
];

export { isDefaultClass };

/** src/api's definitions, plus a built-in one for every kind src/api does not define yet. */
export function withBuiltins(definitions: ResourceDefinition[]): ResourceDefinition[] {
  const have = new Set(definitions.map((d) => `${d.group}/${d.plural}`));
  return [...definitions, ...builtinDefinitions.filter((d) => !have.has(`${d.group}/${d.plural}`))];
}
