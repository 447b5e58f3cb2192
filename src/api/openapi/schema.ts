// The OpenAPI (Swagger 2.0) schema as Kubernetes publishes its definitions, and the names it gives them.

/** One schema of a definition, in OpenAPI v2's form (`$ref` to `#/definitions/…`). */
export interface Schema {
  $ref?: string;
  description?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  allOf?: Schema[];
  /** v3 only. */
  oneOf?: Schema[];
  anyOf?: Schema[];
  "x-kubernetes-group-version-kind"?: GroupVersionKind[];
  "x-kubernetes-list-type"?: "atomic" | "set" | "map";
  "x-kubernetes-list-map-keys"?: string[];
  "x-kubernetes-map-type"?: "atomic" | "granular";
  "x-kubernetes-patch-merge-key"?: string;
  "x-kubernetes-patch-strategy"?: string;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  [extension: `x-${string}`]: unknown;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

const packages: Record<string, string> = {
  "": "io.k8s.api.core",
  apps: "io.k8s.api.apps",
  batch: "io.k8s.api.batch",
  "storage.k8s.io": "io.k8s.api.storage",
  "coordination.k8s.io": "io.k8s.api.coordination",
  "rbac.authorization.k8s.io": "io.k8s.api.rbac",
};

/**
 * The definition name kube-apiserver gives a kind: its Go package for built-in groups
 * (io.k8s.api.core.v1.PersistentVolume), the reversed group for custom resources
 * (io.k8s.storage.snapshot.v1.VolumeSnapshot).
 */
export function definitionName(group: string, version: string, kind: string): string {
  const pkg = packages[group] ?? group.split(".").reverse().join(".");
  return `${pkg}.${version}.${kind}`;
}

export const definitionRef = (name: string) => `#/definitions/${name}`;
export const refName = (ref: string) => ref.replace("#/definitions/", "");
