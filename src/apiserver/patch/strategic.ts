// Strategic merge patch as upstream applies it (apimachinery pkg/util/strategicpatch, StrategicMergeMapPatch
// with MergeParallelList and IgnoreUnmatchedNulls, as the apiserver calls it): maps merge key by key, null
// deletes, lists follow their field's patchStrategy/patchMergeKey (mergekeys.ts), and the directives kubectl
// sends are honoured: `$patch: replace|delete` in maps and list elements, `$retainKeys`,
// `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>` (with upstream's ordering rules).
//
// The function names follow upstream's so each step can be checked against it. Errors keep upstream's texts;
// the ones upstream answers with 400 or 422 keep that code, and the ones it lets through as 500 are 422 here.
import { badRequest, invalidPatch } from "./errors.js";
import { goString, goTypeName, goValue } from "./format.js";
import { getKey, isObject, setKey, type Json, type JsonObject } from "./json.js";
import {
  deleteDirective,
  deleteFromSlice,
  deduplicateScalars,
  directiveMarker,
  errBadArgType,
  errNoMergeKey,
  extractToDeleteItems,
  findMapInSliceBasedOnKeyValue,
  mapType,
  normalizeElementOrder,
  partitionMapsByPresentInList,
  partitionPrimitivesByPresentInList,
  same,
  sliceElementType,
  sliceType,
} from "./lists.js";
import type { PatchStruct } from "./mergekeys.js";

const replaceDirective = "replace";
const mergeDirective = "merge";
const retainKeysStrategy = "retainKeys";
const retainKeysDirective = "$retainKeys";
const deleteFromPrimitiveListDirectivePrefix = "$deleteFromPrimitiveList";
const setElementOrderDirectivePrefix = "$setElementOrder";

const errBadPatchFormatForPrimitiveList = "invalid patch format of primitive list";
const errBadPatchFormatForRetainKeys = "invalid patch format of retainKeys";
const errBadPatchFormatForSetElementOrderList = "invalid patch format of setElementOrder list";

interface PatchMeta {
  strategies: string[];
  mergeKey: string;
}

/** LookupPatchMeta over our struct table. Unknown fields have no metadata (maps merge, lists are replaced). */
class Schema {
  constructor(
    private readonly structs: Readonly<Record<string, PatchStruct>>,
    private readonly type: string | undefined,
  ) {}
  /** upstream's Name(): the Go kind of the struct, used in one error message. */
  readonly name = "struct";
  lookup(key: string): { schema: Schema; meta: PatchMeta } {
    const struct = this.type === undefined ? undefined : this.structs[this.type];
    const field = struct && Object.hasOwn(struct, key) ? struct[key] : undefined;
    return {
      schema: new Schema(this.structs, field?.type),
      meta: {
        strategies: field?.patchStrategy ? field.patchStrategy.split(",") : [],
        mergeKey: field?.patchMergeKey ?? "",
      },
    };
  }
}

/** extractRetainKeysPatchStrategy: the strategy other than retainKeys ("" when none). */
function patchStrategy(strategies: string[]): string {
  if (strategies.length === 0) return "";
  if (strategies.length === 1) return strategies[0] === retainKeysStrategy ? "" : strategies[0];
  if (strategies.length === 2 && strategies[0] === retainKeysStrategy) return strategies[1];
  if (strategies.length === 2 && strategies[1] === retainKeysStrategy) return strategies[0];
  throw invalidPatch(`unexpected patch strategy: [${strategies.join(" ")}]`);
}

const errBadPatchType = (directive: Json, m: JsonObject) =>
  invalidPatch(`unknown patch type: ${goString(directive)} in map: ${goValue(m)}`);
function handleDirectiveInMergeMap(directive: Json, patch: JsonObject): JsonObject {
  if (directive === replaceDirective) {
    // "$patch: replace": the patch's map is taken as it is, without merging
    delete patch[directiveMarker];
    return patch;
  }
  if (directive === deleteDirective) return {}; // "$patch: delete": the map becomes empty
  throw errBadPatchType(directive, patch);
}

const containsDirectiveMarker = (item: Json): boolean => isObject(item) && Object.hasOwn(item, directiveMarker);

function mergeKeyValueEqual(left: Json, right: Json, mergeKey: string): boolean {
  if (mergeKey === "") return same(left, right);
  if (!isObject(left)) throw errBadArgType(mapType, left);
  if (!isObject(right)) throw errBadArgType(mapType, right);
  if (!Object.hasOwn(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!Object.hasOwn(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return same(left[mergeKey], right[mergeKey]);
}

/** extractKey: "$setElementOrder/containers" → "containers". */
function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    if (prefix === deleteFromPrimitiveListDirectivePrefix) throw badRequest(errBadPatchFormatForPrimitiveList);
    throw badRequest(errBadPatchFormatForSetElementOrderList);
  }
  return key.slice(slash + 1);
}

/** The patch list's items (deletions aside) must appear in the $setElementOrder list, in the same order. */
function validatePatchWithSetOrderList(patchList: Json[], setOrderList: Json[], mergeKey: string): void {
  if (setOrderList.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey !== "" ? extractToDeleteItems(patchList).nonDelete : patchList;
  let patchIndex = 0;
  let setOrderIndex = 0;
  while (patchIndex < nonDelete.length && setOrderIndex < setOrderList.length) {
    if (containsDirectiveMarker(nonDelete[patchIndex])) {
      patchIndex++;
      continue;
    }
    if (mergeKeyValueEqual(nonDelete[patchIndex], setOrderList[setOrderIndex], mergeKey)) patchIndex++;
    setOrderIndex++;
  }
  if (patchIndex < nonDelete.length && setOrderIndex >= setOrderList.length)
    throw invalidPatch(
      `The order in patch list:\n${goValue(patchList)}\n doesn't match ${setElementOrderDirectivePrefix} list:\n${goValue(setOrderList)}\n`,
    );
}

/** $retainKeys: fields of the original map not listed are cleared; the patch may only set listed fields. */
function applyRetainKeysDirective(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, retainKeysDirective)) return;
  const retainKeys = patch[retainKeysDirective];
  delete patch[retainKeysDirective];
  if (!Array.isArray(retainKeys)) throw badRequest(errBadPatchFormatForRetainKeys);
  const retained = (key: string): boolean => retainKeys.some((item) => item === key);
  for (const [key, value] of Object.entries(patch)) {
    if (
      value === null ||
      key.startsWith(deleteFromPrimitiveListDirectivePrefix) ||
      key.startsWith(setElementOrderDirectivePrefix)
    )
      continue;
    if (!retained(key)) throw badRequest(errBadPatchFormatForRetainKeys);
  }
  for (const key of Object.keys(original)) if (!retained(key)) delete original[key];
}

/** $setElementOrder/<field>: merge that field's list now and order it: $setElementOrder, then patch, then live. */
function mergePatchIntoOriginal(original: JsonObject, patch: JsonObject, schema: Schema): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderDirectivePrefix)) continue;
    const setElementOrder = patch[key];
    delete patch[key];
    if (!Array.isArray(setElementOrder)) throw errBadArgType(sliceType, setElementOrder);
    const originalKey = extractKey(key, setElementOrderDirectivePrefix);
    // Upstream patches the typed object converted to a map, where an empty or null list field (omitempty) is
    // absent: treat ours the same, or an empty live list would fail ("no elements in any of the given slices").
    const liveList = getKey(original, originalKey);
    const originalList = liveList === null || (Array.isArray(liveList) && liveList.length === 0) ? undefined : liveList;
    const patchList = getKey(patch, originalKey);
    if (originalList !== undefined && !Array.isArray(originalList)) throw errBadArgType(sliceType, originalList);
    if (patchList !== undefined && !Array.isArray(patchList)) throw errBadArgType(sliceType, patchList);
    const liveLength = originalList?.length ?? 0;
    const patchFieldValue = patchList ?? [];
    const { schema: subschema, meta } = schema.lookup(originalKey);
    const strategy = patchStrategy(meta.strategies);
    validatePatchWithSetOrderList(patchFieldValue, setElementOrder, meta.mergeKey);

    let merged: Json[];
    if (originalList !== undefined && patchList === undefined) merged = originalList;
    else if (originalList === undefined && patchList !== undefined)
      merged = removeDirectives(patchList).value as Json[];
    else if (originalList !== undefined && patchList !== undefined)
      merged = mergeSliceHandler(originalList, patchList, subschema, strategy, meta.mergeKey, false);
    else continue;

    // the live list as upstream sees it after merging (see LiveList)
    const originalFieldValue = (originalList ?? []).slice(0, liveLength);
    const { patchItems, serverOnlyItems } =
      meta.mergeKey === ""
        ? partitionPrimitivesByPresentInList(merged, setElementOrder)
        : partitionMapsByPresentInList(merged, setElementOrder, meta.mergeKey);
    const kind = sliceElementType([originalFieldValue, patchFieldValue]);
    setKey(
      original,
      originalKey,
      normalizeElementOrder(patchItems, serverOnlyItems, setElementOrder, originalFieldValue, meta.mergeKey, kind),
    );
    delete patch[originalKey];
  }
}

/** removeDirectives: a map carrying $patch is dropped, at any depth. */
function removeDirectives(value: Json): { value: Json; keep: boolean } {
  if (isObject(value)) {
    if (Object.hasOwn(value, directiveMarker)) return { value: null, keep: false };
    for (const key of Object.keys(value)) {
      const inner = removeDirectives(value[key]);
      if (inner.keep) value[key] = inner.value;
      else delete value[key];
    }
    return { value, keep: true };
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const inner = removeDirectives(item);
      if (inner.keep) out.push(inner.value);
    }
    return { value: out, keep: true };
  }
  return { value, keep: true };
}

/** discardNullValuesFromPatch: a null meant "delete"; where there is nothing to delete it must not be stored. */
function discardNullValuesFromPatch(value: Json): void {
  if (isObject(value)) {
    for (const key of Object.keys(value)) {
      if (value[key] === null) delete value[key];
      else discardNullValuesFromPatch(value[key]);
    }
  } else if (Array.isArray(value)) value.forEach(discardNullValuesFromPatch);
}

/** Go's reflect.TypeOf comparison for two decoded values. */
function sameType(a: Json, b: Json): boolean {
  return goTypeName(a) === goTypeName(b);
}

function takePatchValue(original: JsonObject, key: string, patchValue: Json): void {
  discardNullValuesFromPatch(patchValue);
  const { value, keep } = removeDirectives(patchValue);
  if (keep) setKey(original, key, value);
  else delete original[key];
}

/** mergeMap: merges `patch` into `original` (both are modified; callers pass copies). */
function mergeMap(original: JsonObject | null, patch: JsonObject, schema: Schema): JsonObject {
  if (Object.hasOwn(patch, directiveMarker)) return handleDirectiveInMergeMap(patch[directiveMarker], patch);
  const target = original ?? {};
  applyRetainKeysDirective(target, patch);
  mergePatchIntoOriginal(target, patch, schema);

  for (const patchKey of Object.keys(patch)) {
    const patchValue = patch[patchKey];
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(deleteFromPrimitiveListDirectivePrefix)) {
      key = extractKey(patchKey, deleteFromPrimitiveListDirectivePrefix);
      isDeleteList = true;
    }
    if (patchValue === null) {
      delete target[key]; // null deletes; with nothing to delete it is simply dropped
      continue;
    }
    const current = getKey(target, key);
    if (current === undefined || !sameType(current, patchValue)) {
      if (!isDeleteList) takePatchValue(target, key, patchValue);
      continue;
    }
    if (isObject(current) && isObject(patchValue)) {
      const { schema: subschema, meta } = schema.lookup(key);
      const strategy = patchStrategy(meta.strategies);
      setKey(target, key, strategy !== replaceDirective ? mergeMap(current, patchValue, subschema) : patchValue);
    } else if (Array.isArray(current) && Array.isArray(patchValue)) {
      const { schema: subschema, meta } = schema.lookup(key);
      const strategy = patchStrategy(meta.strategies);
      setKey(target, key, mergeSliceHandler(current, patchValue, subschema, strategy, meta.mergeKey, isDeleteList));
    } else {
      const { value, keep } = removeDirectives(patchValue);
      if (keep) setKey(target, key, value);
      else delete target[key];
    }
  }
  return target;
}

function mergeSliceHandler(
  original: Json[],
  patch: Json[],
  schema: Schema,
  strategy: string,
  mergeKey: string,
  isDeleteList: boolean,
): Json[] {
  // delete lists are handled the same way whatever the field's strategy; other untagged lists are replaced
  if (strategy === mergeDirective || isDeleteList) return mergeSlice(original, patch, schema, mergeKey, isDeleteList);
  return patch;
}

function mergeSlice(original: Json[], patch: Json[], schema: Schema, mergeKey: string, isDeleteList: boolean): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = sliceElementType([original, patch]);
  if (kind !== "map") {
    if (isDeleteList) return deleteFromSlice(original, patch);
    const merged = deduplicateScalars([...original, ...patch]);
    const { patchItems, serverOnlyItems } = partitionPrimitivesByPresentInList(merged, patch);
    return normalizeElementOrder(patchItems, serverOnlyItems, patch, original, mergeKey, kind);
  }
  if (mergeKey === "") throw invalidPatch(`cannot merge lists without merge key for ${schema.name}`);
  const live = mergeSliceWithSpecialElements(original, patch, mergeKey);
  const merged = mergeSliceWithoutSpecialElements(live, mergeKey, schema);
  const serverOrder = live.backing.slice(0, live.length);
  const { patchItems, serverOnlyItems } = partitionMapsByPresentInList(merged, live.patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnlyItems, live.patch, serverOrder, mergeKey, kind);
}

/**
 * The live list as upstream's Go code holds it: a slice over a backing array it edits in place. Deleting an
 * element shifts the rest down, and appending writes into the array while it has room. The caller still sees
 * the array through its own, longer slice, and upstream orders the result by what it sees there
 * ($setElementOrder's "live order"), so we reproduce those in-place edits to order lists exactly as upstream does.
 */
interface LiveList {
  backing: Json[];
  length: number;
  /** The patch's elements without $patch directives. */
  patch: Json[];
}

/** Elements with $patch: delete remove their match; $patch: replace makes the patch's list the whole list. */
function mergeSliceWithSpecialElements(original: Json[], patch: Json[], mergeKey: string): LiveList {
  const withoutSpecial: Json[] = [];
  let length = original.length;
  let replace = false;
  for (const item of patch) {
    const element = item as JsonObject; // sliceElementType made sure every element is a map
    if (!Object.hasOwn(element, directiveMarker)) {
      withoutSpecial.push(element);
      continue;
    }
    const directive = element[directiveMarker];
    if (directive === deleteDirective) {
      if (!Object.hasOwn(element, mergeKey)) throw errNoMergeKey(element, mergeKey);
      length = deleteMatchingEntries(original, length, mergeKey, element[mergeKey]);
    } else if (directive === replaceDirective) replace = true;
    else if (directive === mergeDirective) throw invalidPatch("merging lists cannot yet be specified in the patch");
    else throw errBadPatchType(directive, element);
  }
  if (replace) return { backing: withoutSpecial, length: withoutSpecial.length, patch: [] };
  return { backing: original, length, patch: withoutSpecial };
}

/** Removes every element matching the merge key value from backing[0, length), shifting the rest down in place. */
function deleteMatchingEntries(backing: Json[], length: number, mergeKey: string, mergeValue: Json): number {
  for (;;) {
    const found = findMapInSliceBasedOnKeyValue(backing.slice(0, length), mergeKey, mergeValue);
    if (!found) return length;
    for (let k = found.index; k < length - 1; k++) backing[k] = backing[k + 1];
    length--;
  }
}

/** Merges each patch element into its match, or appends it (in place while the live array has room). */
function mergeSliceWithoutSpecialElements(live: LiveList, mergeKey: string, schema: Schema): Json[] {
  let backing = live.backing;
  let length = live.length;
  const capacity = backing.length;
  for (const item of live.patch) {
    const element = item as JsonObject;
    if (!Object.hasOwn(element, mergeKey)) throw errNoMergeKey(element, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(backing.slice(0, length), mergeKey, element[mergeKey]);
    if (found) backing[found.index] = mergeMap(found.map, element, schema);
    else if (backing === live.backing && length < capacity) backing[length++] = element;
    else {
      if (backing === live.backing) backing = backing.slice(0, length); // Go's append moves to a new array
      backing.push(element);
      length++;
    }
  }
  return backing.slice(0, length);
}

/**
 * Applies a strategic merge patch to `original` (modified in place: pass a copy), with `root` naming the
 * object's struct in `structs` (see mergekeys.ts).
 */
export function strategicMergePatch(
  original: JsonObject,
  patch: JsonObject,
  structs: Readonly<Record<string, PatchStruct>>,
  root: string,
): JsonObject {
  return mergeMap(original, patch, new Schema(structs, root));
}
