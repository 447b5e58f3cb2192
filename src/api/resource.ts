// The seam between the API's knowledge of each resource (src/api) and the generic apiserver registry.
// src/api/resources.ts lists one ResourceDefinition per served resource; the apiserver serves exactly those.
import type { FieldError } from "./field.js";
import type { KubeObject } from "./meta.js";

export interface TableColumnDefinition {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description: string;
  /** 0: shown by `kubectl get`; 1: only with `-o wide`. */
  priority: 0 | 1;
}

export interface ResourceDefinition<T extends KubeObject = KubeObject> {
  group: string; // "" for core
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  categories?: string[];
  /** Whether PUT/PATCH …/status exists; when it does, the main resource ignores status changes and vice versa. */
  hasStatus: boolean;
  verbs: string[];

  /** Upstream's defaulting (e.g. PV reclaim policy Retain); mutates in place. Runs before validation. */
  applyDefaults(object: T): void;
  /** Set server-owned fields on create (e.g. a new PVC's status.phase Pending). */
  prepareForCreate?(object: T): void;
  /**
   * Upstream's PrepareForUpdate (subresource "") and status-strategy PrepareForUpdate ("status"): server-owned
   * adjustments before validation, e.g. a PV's status.lastPhaseTransitionTime when its phase changes. Optional.
   */
  prepareForUpdate?(object: T, old: T, subresource: "" | "status", now: Date): void;
  /** Every problem at once, worded as upstream; the apiserver turns a non-empty list into 422 Invalid. */
  validateCreate(object: T): FieldError[];
  validateUpdate(object: T, old: T): FieldError[];
  validateStatusUpdate?(object: T, old: T): FieldError[];
  /** Does a spec change bump metadata.generation? (true for objects with a spec.) */
  bumpsGeneration?(object: T, old: T): boolean;

  /** `kubectl get` columns, as upstream prints them, and one row per object. */
  table: { columns: TableColumnDefinition[]; row(object: T, now: Date): unknown[] };
  /** Field-selector fields beyond metadata.name/metadata.namespace (e.g. spec.nodeName, status.phase). */
  selectableFields?(object: T): Record<string, string>;
}
