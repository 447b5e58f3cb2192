// PATCH as upstream's apiserver applies it (endpoints/handlers/patch.go): JSON Patch, JSON Merge Patch and
// strategic merge patch, applied to a copy of the stored object. The apiserver decodes, validates and stores
// the result like an update; this package only computes it, and fails with the Status upstream sends.
import { badRequest, PatchError } from "./errors.js";
import { cannotUnmarshal } from "./format.js";
import { isObject, toJson, type Json, type JsonObject } from "./json.js";
import { applyJSONPatch } from "./jsonpatch.js";
import { applyMergePatch } from "./mergepatch.js";
import { customResourceGroups, patchKinds, patchStructs } from "./mergekeys.js";
import { strategicMergePatch } from "./strategic.js";
import { goQuote } from "../../api/selectors/validation.js";

export { PatchError } from "./errors.js";

export type PatchType = "json" | "merge" | "strategic";

/** The Content-Type of each patch type, as kubectl sends it. */
export const patchContentTypes: Readonly<Record<PatchType, string>> = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** What upstream accepts for a custom resource (no strategic merge patch), in its order. */
export const customResourcePatchContentTypes: readonly string[] = [
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/apply-patch+yaml",
];

/** negotiation.NewUnsupportedMediaTypeError, as upstream answers a patch type a resource does not take. */
export function unsupportedMediaType(accepted: readonly string[]): PatchError {
  return new PatchError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`,
  );
}

/** Does upstream serve this kind with strategic merge patch? (Not custom resources, e.g. VolumeSnapshots.) */
export function supportsStrategicMergePatch(kind: { group: string }): boolean {
  return !customResourceGroups.includes(kind.group);
}

const directiveKey = (key: string): boolean =>
  key === "$patch" ||
  key === "$retainKeys" ||
  key.startsWith("$setElementOrder/") ||
  key.startsWith("$deleteFromPrimitiveList/");

/**
 * Directives left in a new part of the object (a map or list element the live object did not have) are not
 * fields: upstream drops them when it decodes the result into its Go struct, so they never reach storage.
 */
function stripDirectives(value: Json): void {
  if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (directiveKey(key)) delete value[key];
      else stripDirectives(value[key]);
    }
  } else if (Array.isArray(value)) value.forEach(stripDirectives);
}

/**
 * Applies `patch` (already parsed from the request body) to a copy of `original` and returns the new object;
 * `original` is never modified. Throws PatchError: 400 for a malformed patch, 413 for more than 10000 JSON Patch
 * operations, 415 for a strategic merge patch on a custom resource, 422 for a patch that does not apply.
 */
export function applyPatch(
  type: PatchType,
  original: object,
  patch: unknown,
  kind: { group: string; version: string; kind: string },
): object {
  const document = toJson(original);
  if (!isObject(document)) throw new TypeError("the object to patch must be a JSON object");
  let patchJson: Json;
  try {
    patchJson = toJson(patch);
  } catch (err) {
    throw badRequest(`invalid patch: ${(err as Error).message}`);
  }
  let result: Json;
  switch (type) {
    case "json":
      result = applyJSONPatch(document, patchJson);
      break;
    case "merge":
      result = applyMergePatch(document, patchJson);
      break;
    case "strategic":
      result = applyStrategic(document, patchJson, kind);
      break;
    default:
      throw new TypeError(`unknown patch type ${String(type satisfies never)}`);
  }
  if (!isObject(result))
    // upstream fails decoding such a result into the kind's struct, and answers 422 Invalid for field "patch"
    throw new PatchError(
      422,
      "Invalid",
      `patch: Invalid value: ${goQuote(JSON.stringify(result))}: ${cannotUnmarshal(result, "map[string]interface {}")}`,
    );
  return result;
}

function applyStrategic(
  document: JsonObject,
  patch: Json,
  kind: { group: string; version: string; kind: string },
): Json {
  if (!supportsStrategicMergePatch(kind)) throw unsupportedMediaType(customResourcePatchContentTypes);
  if (patch === null) return document; // upstream decodes "null" into an empty patch
  if (!isObject(patch)) throw badRequest(cannotUnmarshal(patch, "map[string]interface {}"));
  // Kinds we do not list are built-in kinds without tagged fields of their own: only metadata's tags apply.
  const root = patchKinds[`${kind.group}/${kind.version}/${kind.kind}`] ?? "meta/v1.Object";
  const result = strategicMergePatch(document, patch, patchStructs, root);
  stripDirectives(result);
  return result;
}
