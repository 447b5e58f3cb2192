// PATCH: the patch owner's applyPatch (json, merge, strategic) applied to the current object, then an
// ordinary update; a conflict from a concurrent writer is retried against the fresh object, as upstream does
// when the patch itself does not pin a resourceVersion.
import { quantityDecodeError } from "../api/decode.js";
import { invalid as invalidField } from "../api/field.js";
import type { KubeObject } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import { badRequest, invalid, StatusError, unsupportedMediaType, type StatusReason } from "./errors.js";
import type { BodyType } from "./media.js";
import type { FieldValidation } from "./decode.js";
import { dropUnknownFields, unknownFields } from "./fields.js";
import { PatchError } from "./patch/errors.js";
import { decodeObject } from "./registry/codec.js";
import type { GenericRegistry } from "./registry/generic.js";
import type { WriteOptions } from "./registry/options.js";
import { applyPatch, type PatchType } from "./patch/index.js";

const patchTypes = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];

/** The patch a body type asks for (json, merge, strategic); undefined for a body that is no patch we apply. */
export function patchTypeOf(type: BodyType | undefined): PatchType | undefined {
  if (type === "json-patch") return "json";
  if (type === "merge-patch") return "merge";
  if (type === "strategic-merge-patch") return "strategic";
  return undefined;
}

export async function patchObject(
  registry: GenericRegistry,
  namespace: string | undefined,
  name: string,
  type: BodyType | undefined,
  contentType: string,
  patch: unknown,
  options: WriteOptions,
  subresource: "" | "status",
  validation: FieldValidation = "Warn",
  warnings: string[] = [],
): Promise<KubeObject> {
  const def: ResourceDefinition = registry.def;
  const kind = patchTypeOf(type);
  if (!kind) throw unsupportedMediaType(contentType, patchTypes);
  for (let attempt = 0; ; attempt++) {
    const kv = await registry.getKv(namespace, name);
    const original = decodeObject(kv);
    let patched: KubeObject;
    try {
      patched = applyPatch(kind, original, patch, {
        group: def.group,
        version: def.version,
        kind: def.kind,
      }) as KubeObject;
    } catch (err) {
      if (err instanceof PatchError) throw patchStatus(err);
      throw err;
    }
    if (typeof patched !== "object" || patched === null || Array.isArray(patched)) {
      throw badRequest("the patch produced something that is not an object");
    }
    // The patched object cannot be decoded (a malformed quantity): upstream answers 422 with the cause on "patch",
    // its value the patched object (JSON and merge patches) or the patch itself (strategic merge).
    const quantityError = quantityDecodeError(def.kind, patched);
    if (quantityError) {
      const value = kind === "strategic" ? patch : patched;
      throw invalid("", "", "", [invalidField("patch", JSON.stringify(value), quantityError)]);
    }
    const pinned = patched.metadata?.resourceVersion !== original.metadata.resourceVersion;
    if (patched.apiVersion !== original.apiVersion || patched.kind !== original.kind) {
      throw badRequest(`the patch changed apiVersion or kind of ${def.kind} "${name}", which cannot change`);
    }
    // a patch can bring unknown fields too: the same fieldValidation as a whole body
    const unknown = unknownFields(def.kind, patched as unknown as Record<string, unknown>);
    if (unknown.length) {
      if (validation === "Strict") {
        throw badRequest(
          `${def.kind} in version "${def.version}" cannot be handled as a ${def.kind}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(", ")}`,
        );
      }
      if (validation === "Warn" && attempt === 0) warnings.push(...unknown.map((f) => `unknown field "${f}"`));
      dropUnknownFields(def.kind, patched as unknown as Record<string, unknown>);
    }
    try {
      return await registry.update(namespace, name, patched, options, subresource, kv);
    } catch (err) {
      const retry = err instanceof StatusError && err.reason === "Conflict" && !pinned && attempt < 5;
      if (!retry) throw err;
    }
  }
}

const patchReasons = {
  400: "BadRequest",
  413: "RequestEntityTooLarge",
  415: "UnsupportedMediaType",
  422: "Invalid",
} as const satisfies Record<PatchError["code"], StatusReason>;

/**
 * A failed patch as its Status. Where upstream's message is generic ("the server rejected our request due to an
 * error in our request"), the useful text is a cause on the field "patch", so kubectl prints
 * `The request is invalid: patch: testing value /spec/x failed: test failed`.
 */
export function patchStatus(err: PatchError): StatusError {
  const causes = err.detail ? [{ reason: "UnexpectedServerResponse", field: "patch", message: err.detail }] : undefined;
  return new StatusError(err.code, patchReasons[err.code], err.message, causes ? { causes } : undefined);
}
