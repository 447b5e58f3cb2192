// PATCH with application/apply-patch+yaml: server-side apply. The configuration is merged into the live object
// (or creates it) by apply/managedfields.ts, then written as an ordinary create or update; a conflict from a
// concurrent writer is retried against the fresh object.
import { LastAppliedConfigAnnotation } from "../api/wellknown.js";
import type { ApiRequest } from "../api/http.js";
import type { KubeObject } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import type { FieldSet } from "./apply/fieldpath.js";
import { compare, toFieldSet } from "./apply/fieldsets.js";
import { applyConfig, trackedFields, type Subresource } from "./apply/managedfields.js";
import { kindType } from "./apply/typed.js";
import { apiVersionOf, parseBody, type FieldValidation } from "./decode.js";
import { forbidden, invalid as invalidField, required, tooLong, type FieldError } from "../api/field.js";
import { badRequest, invalid, notFound, StatusError } from "./errors.js";
import { dropUnknownFields, unknownFields } from "./fields.js";
import { decodeObject } from "./registry/codec.js";
import type { GenericRegistry } from "./registry/generic.js";
import type { WriteOptions } from "./registry/options.js";

export interface ApplyRequest {
  namespace: string | undefined;
  name: string;
  body: Uint8Array | undefined;
  options: WriteOptions;
  subresource: Subresource;
  force: boolean;
  /** ?fieldManager= as sent. */
  fieldManager: string | null;
  validation: FieldValidation;
  warnings: string[];
}

function configOf(def: ResourceDefinition, request: ApplyRequest): KubeObject {
  const config = parseBody(request.body, true);
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    throw badRequest("the apply configuration must be an object");
  }
  const object = config as KubeObject;
  const apiVersion = apiVersionOf(def);
  object.apiVersion ??= apiVersion;
  object.kind ??= def.kind;
  if (object.apiVersion !== apiVersion || object.kind !== def.kind) {
    throw badRequest(
      `the apply configuration is a ${object.kind} of ${object.apiVersion}, but this endpoint serves ${def.kind} of ${apiVersion}`,
    );
  }
  object.metadata ??= {};
  if (object.metadata.name !== undefined && object.metadata.name !== request.name) {
    throw badRequest(
      `the name of the object (${object.metadata.name}) does not match the name on the URL (${request.name})`,
    );
  }
  object.metadata.name = request.name;
  if (object.metadata.managedFields !== undefined) {
    throw badRequest("metadata.managedFields must be nil");
  }
  const unknown = unknownFields(def.kind, object as unknown as Record<string, unknown>);
  if (unknown.length) {
    if (request.validation === "Strict") {
      throw badRequest(
        `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(", ")}`,
      );
    }
    if (request.validation === "Warn") request.warnings.push(...unknown.map((f) => `unknown field "${f}"`));
    dropUnknownFields(def.kind, object as unknown as Record<string, unknown>);
  }
  return object;
}

/**
 * Upstream's lastAppliedManager: for kubectl's server-side apply, a conflict over a field that client-side apply's
 * last-applied configuration holds, still with the value live, is no conflict; so moving from `kubectl apply` to
 * `kubectl apply --server-side` with an edited file succeeds.
 */
function lastAppliedWaiver(
  def: ResourceDefinition,
  live: KubeObject | undefined,
  manager: string,
  subresource: Subresource,
): (path: string[]) => boolean {
  const text = live?.metadata.annotations?.[LastAppliedConfigAnnotation];
  if (!text || manager !== "kubectl") return () => false;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return () => false;
  }
  const type = kindType(def);
  const lastTracked = trackedFields(def, last, subresource);
  const allowed = toFieldSet(lastTracked, type).difference(
    compare(lastTracked, trackedFields(def, live, subresource), type).changed,
  );
  return (path) => {
    let node: FieldSet | undefined = allowed;
    for (const key of path) node = node?.children.get(key);
    return !!node?.member;
  };
}

/** JSON with sorted keys and a newline, as kubectl and upstream's lastAppliedUpdater write the annotation. */
function lastAppliedText(config: KubeObject): string {
  const sorted = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sorted);
    if (!value || typeof value !== "object") return value;
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, sorted(record[k])]),
    );
  };
  const copy = structuredClone(config);
  if (copy.metadata.annotations) {
    delete copy.metadata.annotations[LastAppliedConfigAnnotation];
    if (Object.keys(copy.metadata.annotations).length === 0) delete copy.metadata.annotations;
  }
  return `${JSON.stringify(sorted(copy))}\n`;
}

/** Server-side apply; `created` when the apply made the object. */
export async function applyObject(
  registry: GenericRegistry,
  request: ApplyRequest,
): Promise<{ object: KubeObject; created: boolean }> {
  const def = registry.def;
  // an apply names its manager: no User-Agent default, as upstream's ValidatePatchOptions
  const manager = request.fieldManager;
  if (!manager) {
    throw invalid("meta.k8s.io", "PatchOptions", "", [required("fieldManager", "is required for apply patch")]);
  }
  const config = configOf(def, request);
  const options: WriteOptions = { ...request.options, managedFieldsSet: true };
  for (let attempt = 0; ; attempt++) {
    const kv = await registry.getKv(request.namespace, request.name).catch((err: unknown) => {
      if (err instanceof StatusError && err.code === 404) return undefined;
      throw err;
    });
    const live = kv ? decodeObject(kv) : undefined;
    if (!live && request.subresource === "status") throw notFound(registry.resource, request.name);
    const waiver = lastAppliedWaiver(def, live, manager, request.subresource);
    const result = applyConfig(
      def,
      live,
      structuredClone(config),
      manager,
      request.force,
      request.subresource,
      new Date(),
      waiver,
    );
    const annotations = result.object.metadata.annotations;
    // Upstream's lastAppliedUpdater: kubectl's server-side apply keeps client-side apply's annotation current.
    if (manager === "kubectl" && result.changed && annotations?.[LastAppliedConfigAnnotation]) {
      annotations[LastAppliedConfigAnnotation] = lastAppliedText(config);
    }
    if (!result.changed && live) return { object: live, created: false };
    try {
      if (!live) return { object: await registry.create(request.namespace, result.object, options), created: true };
      const object = await registry.update(
        request.namespace,
        request.name,
        result.object,
        options,
        request.subresource,
        kv,
      );
      return { object, created: false };
    } catch (err) {
      // someone wrote (or created) it meanwhile: apply again to what is there now
      const raced = err instanceof StatusError && (err.reason === "AlreadyExists" || err.reason === "Conflict");
      if (!raced || attempt >= 5 || isApplyConflict(err)) throw err;
    }
  }
}

const isApplyConflict = (err: StatusError) => err.details?.causes?.some((c) => c.reason === "FieldManagerConflict");

const optionsKinds: Partial<Record<ApiRequest["method"], string>> = {
  POST: "CreateOptions",
  PUT: "UpdateOptions",
  PATCH: "PatchOptions",
};

/**
 * The write's field manager: ?fieldManager=, else the User-Agent's product ("kubectl" of "kubectl/v1.32.0 …"),
 * as upstream. A bad one (too long, unprintable), or ?force= on a patch that is no apply, is upstream's 422 on
 * the request's options.
 */
export function fieldManagerOf(request: ApiRequest): string | undefined {
  const given = request.query.get("fieldManager");
  const errors: FieldError[] = [];
  const isApply = (request.headers["content-type"] ?? "").startsWith("application/apply-patch");
  if (request.method === "PATCH" && !isApply && request.query.has("force")) {
    errors.push(forbidden("force", "may not be specified for non-apply patch"));
  }
  if (given) {
    if (Buffer.byteLength(given) > 128) errors.push(tooLong("fieldManager", 128));
    [...given].forEach((char, i) => {
      if (/[\p{L}\p{M}\p{N}\p{P}\p{S} ]/u.test(char)) return;
      const code = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
      errors.push(invalidField("fieldManager", given, `invalid character ${code} (at position ${i})`));
    });
  }
  if (errors.length) throw invalid("meta.k8s.io", optionsKinds[request.method] ?? "PatchOptions", "", errors);
  if (given) return given;
  const agent = request.headers["user-agent"];
  return agent ? agent.split("/")[0].slice(0, 128) : undefined;
}

/** ?force= for apply, read as Go's strconv.ParseBool reads it. */
export function parseForce(query: URLSearchParams): boolean {
  const value = query.get("force");
  if (value === null || value === "") return false;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  throw badRequest(`invalid boolean value for force: ${JSON.stringify(value)}`);
}
