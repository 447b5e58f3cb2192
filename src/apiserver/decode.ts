// Request bodies parsed once, here: size limit, JSON or YAML, apiVersion/kind against the URL, and unknown
// fields handled per fieldValidation (Strict refuses, Warn adds a Warning header, Ignore drops silently).
import { parse as parseYaml, YAMLParseError } from "yaml";
import { decodeErrorMessage, quantityDecodeError } from "../api/decode.js";
import type { KubeObject } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import { findResourceByKind } from "../api/resources.js";
import { badRequest, entityTooLarge, StatusError } from "./errors.js";
import { dropUnknownFields, unknownFields } from "./fields.js";

export const maxBodyBytes = 3 * 1024 * 1024;

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export function parseFieldValidation(value: string | null): FieldValidation {
  if (value === null || value === "") return "Warn";
  if (value === "Strict" || value === "Warn" || value === "Ignore") return value;
  throw badRequest(`fieldValidation parameter unsupported: ${value} (must be one of: Ignore, Warn, Strict)`);
}

/** Any JSON or YAML document, as a plain value (patch bodies are checked by the patch code). */
export function parseBody(body: Uint8Array | undefined, yaml: boolean): unknown {
  if (body && body.byteLength > maxBodyBytes) throw entityTooLarge();
  const text = body ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8") : "";
  if (text.trim() === "") throw badRequest("the request body is empty; send the object as JSON or YAML");
  if (yaml) {
    try {
      return parseYaml(text, { uniqueKeys: true, maxAliasCount: 100 }) as unknown;
    } catch (err) {
      const message = err instanceof YAMLParseError ? err.message.split("\n")[0] : String(err);
      throw badRequest(`error converting YAML to JSON: yaml: ${message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw badRequest(`json parse error: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const apiVersionOf = (def: ResourceDefinition): string =>
  def.group ? `${def.group}/${def.version}` : def.version;

export interface DecodedObject {
  object: KubeObject;
  warnings: string[];
}

/** A whole object for create or update of `def` (or, for `expectKind`, e.g. DeleteOptions, that kind). */
export function decodeObjectBody(
  def: ResourceDefinition,
  body: Uint8Array | undefined,
  yaml: boolean,
  validation: FieldValidation,
): DecodedObject {
  const value = parseBody(body, yaml);
  return checkObject(def, value, validation);
}

export function checkObject(def: ResourceDefinition, value: unknown, validation: FieldValidation): DecodedObject {
  const expected = apiVersionOf(def);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw badRequest(
      `the body of the request must be a ${def.kind} object, not ${Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  const record = value as Record<string, unknown>;
  // kube-apiserver decodes with the endpoint's group, version and kind as defaults (gvkWithDefaults), so clients
  // that leave them out (the official Python client does) create and update as kubectl does
  Object.assign(record, defaultedTypeMeta(def, typeMetaField(record, "apiVersion"), typeMetaField(record, "kind")));
  if (record.apiVersion !== expected) {
    throw badRequest(
      `the API version in the data (${String(record.apiVersion)}) does not match the expected API version (${expected})`,
    );
  }
  if (record.kind !== def.kind) throw badRequest(kindMismatch(def, String(record.kind)));
  if (
    record.metadata !== undefined &&
    (typeof record.metadata !== "object" || record.metadata === null || Array.isArray(record.metadata))
  ) {
    throw badRequest(
      `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: json: cannot unmarshal ${Array.isArray(record.metadata) ? "array" : typeof record.metadata} into Go struct field ${def.kind}.metadata of type v1.ObjectMeta`,
    );
  }
  record.metadata ??= {};
  const typeErrors = metadataTypeErrors(record.metadata as Record<string, unknown>);
  if (typeErrors.length) {
    throw badRequest(`${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: ${typeErrors[0]}`);
  }
  // A malformed quantity makes the body undecodable upstream (resource.Quantity's UnmarshalJSON fails): 400, not 422.
  const quantityError = quantityDecodeError(def.kind, record);
  if (quantityError) throw badRequest(decodeErrorMessage(def.kind, def.version, quantityError));
  const warnings: string[] = [];
  {
    const unknown = unknownFields(def.kind, record);
    if (unknown.length) {
      if (validation === "Strict") {
        const list = unknown.map((f) => `unknown field "${f}"`);
        const detail = list.length === 1 ? list[0] : list.join(", ");
        throw new StatusError(
          400,
          "BadRequest",
          `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${detail}`,
        );
      }
      if (validation === "Warn") for (const f of unknown) warnings.push(`unknown field "${f}"`);
      dropUnknownFields(def.kind, record);
    }
  }
  return { object: value as KubeObject, warnings };
}

function typeMetaField(record: Record<string, unknown>, field: "apiVersion" | "kind"): string {
  const value = record[field];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string")
    throw badRequest(`json: cannot unmarshal ${typeof value} into Go struct field .${field} of type string`);
  return value;
}

/** The Go package of a built-in group's internal types: kube-apiserver decodes into them. */
const internalPackages: Record<string, string> = {
  "": "core",
  "storage.k8s.io": "storage",
  apps: "apps",
  "coordination.k8s.io": "coordination",
  "rbac.authorization.k8s.io": "rbac",
};

/**
 * Another kind of the endpoint's group-version: kube-apiserver decodes it as that kind, then fails to convert it
 * to the endpoint's internal type, and says so (transformDecodeError over the scheme's conversion error).
 */
function kindMismatch(def: ResourceDefinition, kind: string): string {
  const internal = internalPackages[def.group];
  if (internal !== undefined && findResourceByKind(apiVersionOf(def), kind)) {
    return (
      `${kind} in version "${def.version}" cannot be handled as a ${def.kind}: ` +
      `converting (${def.version}.${kind}) to (${internal}.${def.kind}): unknown conversion`
    );
  }
  return `the kind in the data (${kind}) does not match the expected kind (${def.kind}) of ${def.plural}`;
}

/** What the body's apiVersion and kind become with the endpoint's as defaults (upstream's gvkWithDefaults). */
function defaultedTypeMeta(def: ResourceDefinition, apiVersion: string, kind: string) {
  // schema.ParseGroupVersion: no slash is a version of the core group, one slash splits group from version
  const slash = apiVersion.indexOf("/");
  let group = slash < 0 ? "" : apiVersion.slice(0, slash);
  let version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (version === "" && (group === "" || group === def.group)) {
    group = def.group;
    version = def.version;
  }
  return { apiVersion: group ? `${group}/${version}` : version, kind: kind || def.kind };
}

const stringFields = [
  "name",
  "generateName",
  "namespace",
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "deletionTimestamp",
];
function metadataTypeErrors(meta: Record<string, unknown>): string[] {
  const errors: string[] = [];
  for (const f of stringFields) {
    if (meta[f] !== undefined && meta[f] !== null && typeof meta[f] !== "string") {
      errors.push(
        `json: cannot unmarshal ${typeof meta[f]} into Go struct field ObjectMeta.metadata.${f} of type string`,
      );
    }
  }
  for (const f of ["labels", "annotations"]) {
    const m = meta[f];
    if (m === undefined || m === null) continue;
    if (typeof m !== "object" || Array.isArray(m)) {
      errors.push(
        `json: cannot unmarshal ${Array.isArray(m) ? "array" : typeof m} into Go struct field ObjectMeta.metadata.${f} of type map[string]string`,
      );
      continue;
    }
    for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
      if (typeof v !== "string") {
        errors.push(
          `json: cannot unmarshal ${typeof v} into Go struct field ObjectMeta.metadata.${f} of type string (key "${k}")`,
        );
      }
    }
  }
  if (meta.finalizers !== undefined && meta.finalizers !== null) {
    if (!Array.isArray(meta.finalizers) || meta.finalizers.some((f) => typeof f !== "string")) {
      errors.push("json: cannot unmarshal into Go struct field ObjectMeta.metadata.finalizers of type []string");
    }
  }
  return errors;
}
