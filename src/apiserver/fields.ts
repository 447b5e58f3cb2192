// Unknown-field detection for fieldValidation (Strict, Warn, Ignore): a field is unknown when the kind's OpenAPI
// schema (src/api/openapi, generated from our types with upstream's fields) does not declare it, at any depth,
// as decoding into upstream's Go types finds it. Where a schema keeps unknown fields (or has none), none are.
import { openApiDefinitions } from "../api/openapi/definitions.js";
import { definitionName, refName, type Schema } from "../api/openapi/schema.js";
import { resources } from "../api/resources.js";

function resolve(schema: Schema | undefined): Schema | undefined {
  let current = schema;
  for (let depth = 0; current && depth < 8; depth++) {
    const ref = current.$ref ?? (current.allOf?.length === 1 ? current.allOf[0].$ref : undefined);
    if (!ref) return current;
    current = openApiDefinitions()[refName(ref)];
  }
  return current;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === "object" && !Array.isArray(value);

/**
 * Walks `value` against `schema`, calling `found` with each unknown field's path and the object holding it. The
 * path is kept as a stack of parts and joined only for a field that is found: this runs on every write.
 */
function walk(
  value: unknown,
  schema: Schema | undefined,
  path: (string | number)[],
  found: (path: string, holder: Record<string, unknown>, key: string) => void,
): void {
  const s = resolve(schema);
  if (!s || s["x-kubernetes-preserve-unknown-fields"]) return;
  if (isObject(value)) {
    const properties = s.properties;
    const additional = typeof s.additionalProperties === "object" ? s.additionalProperties : undefined;
    if (!properties && !additional) return;
    for (const key of Object.keys(value)) {
      const declared = properties ? (key in properties ? properties[key] : undefined) : additional;
      if (!declared) {
        found(pathString([...path, key]), value, key);
        continue;
      }
      path.push(key);
      walk(value[key], declared, path, found);
      path.pop();
    }
  } else if (Array.isArray(value) && s.items) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      walk(value[i], s.items, path, found);
      path.pop();
    }
  }
}

/** "spec", "containers", 0, "bar" → "spec.containers[0].bar", as upstream prints a field's path. */
const pathString = (parts: (string | number)[]): string =>
  parts.reduce<string>(
    (out, part) => (typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${part}` : part),
    "",
  );

const schemas = new Map<string, Schema | undefined>();
function kindSchema(kind: string): Schema | undefined {
  if (!schemas.has(kind)) {
    const def = resources.find((r) => r.kind === kind);
    schemas.set(kind, def && openApiDefinitions()[definitionName(def.group, def.version, def.kind)]);
  }
  return schemas.get(kind);
}

/** Paths of fields the kind's schema does not declare, as upstream prints them ("spec.foo", "spec.containers[0].bar"). */
export function unknownFields(kind: string, object: Record<string, unknown>): string[] {
  const out: string[] = [];
  walk(object, kindSchema(kind), [], (path) => out.push(path));
  return out.sort();
}

/** Drops the fields unknownFields reports, as decoding into upstream's Go types drops them (Warn and Ignore). */
export function dropUnknownFields(kind: string, object: Record<string, unknown>): void {
  walk(object, kindSchema(kind), [], (_path, holder, key) => delete holder[key]);
}
