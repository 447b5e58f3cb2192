// JSON Merge Patch (RFC 7386) as upstream's apiserver applies it (evanphx/json-patch v4 MergePatch): objects
// merge member by member, null deletes a member, anything else (arrays included) replaces the old value.
import { badRequest } from "./errors.js";
import { getKey, isObject, setKey, type Json, type JsonObject } from "./json.js";

/** Removes null members from objects, at any depth (nulls inside arrays stay, as upstream leaves them). */
function pruneNulls(value: Json): Json {
  if (isObject(value)) {
    for (const key of Object.keys(value)) {
      const member = value[key];
      if (member === null) delete value[key];
      else pruneNulls(member);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) if (item !== null) pruneNulls(item);
  }
  return value;
}

function mergeDocs(doc: JsonObject, patch: JsonObject): void {
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete doc[key];
      continue;
    }
    const current = getKey(doc, key);
    if (current === undefined || current === null) setKey(doc, key, pruneNulls(value));
    else setKey(doc, key, merge(current, value));
  }
}

function merge(current: Json, patch: Json): Json {
  if (!isObject(current)) return pruneNulls(patch);
  if (!isObject(patch)) return patch;
  mergeDocs(current, patch);
  return current;
}

/**
 * Applies a merge patch to `original` (which it modifies: pass a copy). A patch that is not an object or an array
 * is 400 "Invalid JSON Patch" as upstream answers; an array patch replaces the whole document, as upstream
 * computes it (the caller then finds it is not an object).
 */
export function applyMergePatch(original: JsonObject, patch: Json): Json {
  if (isObject(patch)) {
    mergeDocs(original, patch);
    return original;
  }
  if (Array.isArray(patch)) return pruneNulls(patch);
  throw badRequest("Invalid JSON Patch");
}
