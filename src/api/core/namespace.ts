// core/v1 Namespace: defaults, validation, table and field selectors as upstream (pkg/registry/core/namespace).
import { FieldPath } from "../field.js";
import type { FieldError } from "../field.js";
import type { ResourceDefinition } from "../resource.js";
import { ageColumn, column, nameColumn, translateTimestampSince } from "../table.js";
import { validateFinalizerName, validateObjectMeta, validateObjectMetaUpdate } from "../validation/meta.js";
import { nameIsDNSLabel } from "../validation/names.js";
import { LabelMetadataName, NamespaceFinalizerKubernetes } from "../wellknown.js";
import type { Namespace } from "./types.js";

export function defaultNamespace(namespace: Namespace): void {
  namespace.status ??= {};
  if (!namespace.status.phase) namespace.status.phase = "Active";
  // upstream labels every namespace with its own name so selectors can pick namespaces by name
  if (namespace.metadata.name) {
    namespace.metadata.labels = { ...(namespace.metadata.labels ?? {}), [LabelMetadataName]: namespace.metadata.name };
  }
}

function validateSpecFinalizers(namespace: Namespace): FieldError[] {
  const path = FieldPath.root("spec", "finalizers");
  return (namespace.spec?.finalizers ?? []).flatMap((name) => validateFinalizerName(name, path));
}

export const namespaces: ResourceDefinition<Namespace> = {
  group: "",
  version: "v1",
  kind: "Namespace",
  listKind: "NamespaceList",
  plural: "namespaces",
  singular: "namespace",
  shortNames: ["ns"],
  namespaced: false,
  hasStatus: true,
  verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  applyDefaults: defaultNamespace,
  prepareForCreate(namespace) {
    // upstream: a new namespace is Active and carries the "kubernetes" finalizer the namespace controller removes
    namespace.status = { phase: "Active" };
    const finalizers = namespace.spec?.finalizers ?? [];
    if (!finalizers.includes(NamespaceFinalizerKubernetes)) {
      namespace.spec = { ...(namespace.spec ?? {}), finalizers: [...finalizers, NamespaceFinalizerKubernetes] };
    }
  },
  prepareForUpdate(namespace, old, subresource) {
    // spec.finalizers change only through …/finalize, as upstream
    if (subresource === "") namespace.spec = { ...(namespace.spec ?? {}), finalizers: old.spec?.finalizers };
    if (namespace.spec && namespace.spec.finalizers === undefined) delete namespace.spec.finalizers;
  },
  validateCreate: (namespace) => [
    ...validateObjectMeta(namespace.metadata, false, nameIsDNSLabel),
    ...validateSpecFinalizers(namespace),
  ],
  validateUpdate: (namespace, old) => [
    ...validateObjectMetaUpdate(namespace.metadata, old.metadata),
    ...validateObjectMeta(namespace.metadata, false, nameIsDNSLabel),
    ...validateSpecFinalizers(namespace),
  ],
  validateStatusUpdate: (namespace, old) => validateObjectMetaUpdate(namespace.metadata, old.metadata),
  table: {
    columns: [nameColumn, column("Status", "string", "The status of the namespace"), ageColumn],
    row: (namespace, now) => [
      namespace.metadata.name,
      namespace.status?.phase ?? "",
      translateTimestampSince(namespace.metadata.creationTimestamp, now),
    ],
  },
  selectableFields: (namespace) => ({
    "status.phase": namespace.status?.phase ?? "",
    name: namespace.metadata.name ?? "",
  }),
};
