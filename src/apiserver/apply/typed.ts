// How server-side apply sees a kind's fields: the OpenAPI definitions generated from our types (src/api/openapi)
// read as structured-merge-diff reads upstream's: structs and maps are granular unless x-kubernetes-map-type is
// atomic; a list is keyed (x-kubernetes-list-type map, or an old-style patch-merge-key), a set, or atomic; a field
// no schema describes is "deduced" (objects granular, lists atomic).
import { openApiDefinitions } from "../../api/openapi/definitions.js";
import { definitionName, refName, type Schema } from "../../api/openapi/schema.js";
import type { ResourceDefinition } from "../../api/resource.js";

export type FieldType =
  | { kind: "scalar" }
  /** A struct has named fields; a map (and a deduced object) is keyed by anything. */
  | { kind: "object"; atomic: boolean; struct?: boolean; field(name: string): FieldType }
  | { kind: "list"; listType: "map" | "set" | "atomic"; keys: string[]; item: FieldType };

const scalar: FieldType = { kind: "scalar" };
const deduced: FieldType = { kind: "object", atomic: false, field: () => deducedValue };
// A deduced value decides by its own shape: see shapeOf.
const deducedValue: FieldType = { kind: "scalar" };

function resolve(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 8; depth++) {
    const ref = current.$ref ?? (current.allOf?.length === 1 ? current.allOf[0].$ref : undefined);
    if (!ref) return current;
    // the property's own annotations (list type, map type) stay with it; the definition gives the shape
    const { $ref: _ref, allOf: _allOf, description: _d, ...annotations } = current;
    current = { ...openApiDefinitions()[refName(ref)], ...annotations };
  }
  return current;
}

function listType(schema: Schema): { listType: "map" | "set" | "atomic"; keys: string[] } {
  const declared = schema["x-kubernetes-list-type"];
  const mergeKey = schema["x-kubernetes-patch-merge-key"];
  if (declared === "map")
    return { listType: "map", keys: schema["x-kubernetes-list-map-keys"] ?? (mergeKey ? [mergeKey] : []) };
  if (declared) return { listType: declared, keys: [] };
  // Before list types, patch strategies said it: merge by a key is a keyed list, merge without one a set.
  if ((schema["x-kubernetes-patch-strategy"] ?? "").split(",").includes("merge")) {
    return mergeKey ? { listType: "map", keys: [mergeKey] } : { listType: "set", keys: [] };
  }
  return { listType: "atomic", keys: [] };
}

export function typeOf(schema: Schema | undefined): FieldType {
  const s = resolve(schema);
  if (!s || s["x-kubernetes-preserve-unknown-fields"]) return deduced;
  if (s.type === "array" || s.items) {
    const { listType: type, keys } = listType(s);
    return { kind: "list", listType: type, keys, item: typeOf(s.items) };
  }
  const atomic = s["x-kubernetes-map-type"] === "atomic";
  if (s.properties) {
    const properties = s.properties;
    const cache = new Map<string, FieldType>();
    return {
      kind: "object",
      atomic,
      struct: true,
      field(name) {
        let type = cache.get(name);
        if (!type) cache.set(name, (type = properties[name] ? typeOf(properties[name]) : deducedValue));
        return type;
      },
    };
  }
  if (typeof s.additionalProperties === "object") {
    const values = typeOf(s.additionalProperties);
    return { kind: "object", atomic, field: () => values };
  }
  if (s.type === "object") return atomic ? { kind: "object", atomic, field: () => deducedValue } : deduced;
  return scalar;
}

const kindTypes = new Map<string, FieldType>();

/** The type of a whole object of this kind. */
export function kindType(def: ResourceDefinition): FieldType {
  const name = definitionName(def.group, def.version, def.kind);
  let type = kindTypes.get(name);
  if (!type) kindTypes.set(name, (type = typeOf(openApiDefinitions()[name])));
  return type;
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === "object" && !Array.isArray(value);

/** The type to walk a value with: a deduced value is an object if it is one, else a leaf (lists atomic). */
export function shapeOf(type: FieldType, value: unknown): FieldType {
  if (type === deducedValue) return isObject(value) ? deduced : scalar;
  return type;
}

/** Whether a value is one field for ownership (a scalar, an atomic list or map, or a value of the wrong shape). */
export function isLeaf(type: FieldType, value: unknown): boolean {
  if (type.kind === "scalar") return true;
  if (type.kind === "object") return type.atomic || !isObject(value);
  return type.listType === "atomic" || !Array.isArray(value);
}
