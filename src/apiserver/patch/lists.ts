// The list half of strategic merge patch (apimachinery's strategicpatch): element types, partitions into
// "in the patch" and "server-only", and upstream's ordering rules ($setElementOrder, then the patch's order,
// then the live order). Names follow upstream's so each step can be checked against it.
import { invalidPatch, unprocessable } from "./errors.js";
import { goTypeName, goValue } from "./format.js";
import { getKey, isObject, type Json, type JsonObject } from "./json.js";

export const directiveMarker = "$patch";
export const deleteDirective = "delete";

/** A list element's kind as upstream's reflect.Kind sees it: only "map" is special. */
export type ElementKind = string;

export const errNoMergeKey = (m: JsonObject, key: string) =>
  invalidPatch(`map: ${goValue(m)} does not contain declared merge key: ${key}`);
export const errBadArgType = (expected: string, actual: Json | undefined) =>
  invalidPatch(`expected a ${expected}, but received a ${goTypeName(actual)}`);

export const mapType = "map[string]interface {}";
export const sliceType = "[]interface {}";

/** Go's == on two decoded JSON scalars (maps never reach here as merge key values in valid input). */
export const same = (a: Json | undefined, b: Json | undefined): boolean => (a ?? null) === (b ?? null);

export function partitionPrimitivesByPresentInList(
  original: Json[],
  partitionBy: Json[],
): { patchItems: Json[]; serverOnlyItems: Json[] } {
  const patchItems: Json[] = [];
  const serverOnlyItems: Json[] = [];
  for (const item of original) (partitionBy.some((v) => same(v, item)) ? patchItems : serverOnlyItems).push(item);
  return { patchItems, serverOnlyItems };
}

export function partitionMapsByPresentInList(
  original: Json[],
  partitionBy: Json[],
  mergeKey: string,
): { patchItems: Json[]; serverOnlyItems: Json[] } {
  const patchItems: Json[] = [];
  const serverOnlyItems: Json[] = [];
  for (const item of original) {
    if (!isObject(item)) throw errBadArgType(mapType, item);
    if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const found = findMapInSliceBasedOnKeyValue(partitionBy, mergeKey, item[mergeKey]);
    (found ? patchItems : serverOnlyItems).push(item);
  }
  return { patchItems, serverOnlyItems };
}

export function deleteFromSlice(current: Json[], toDelete: Json[]): Json[] {
  return current.filter((item) => !toDelete.some((d) => same(d, item)));
}

export function findMapInSliceBasedOnKeyValue(
  list: Json[],
  key: string,
  value: Json,
): { map: JsonObject; index: number } | undefined {
  for (let index = 0; index < list.length; index++) {
    const item = list[index];
    if (!isObject(item)) throw invalidPatch(`value for key ${index} is not a map`);
    if (Object.hasOwn(item, key) && same(item[key], value)) return { map: item, index };
  }
  return undefined;
}

/** upstream's "clever" de-duplication: a duplicate is replaced by the last element, which shifts order. */
export function deduplicateScalars(list: Json[]): Json[] {
  const s = [...list];
  let length = s.length - 1;
  for (let i = 0; i < length; i++) {
    for (let j = i + 1; j <= length; j++) {
      if (same(s[i], s[j])) {
        s[j] = s[length];
        s.length = length;
        length--;
        j--;
      }
    }
  }
  return s;
}

/** sliceElementType: every element of every list has one type, which is not a list. */
export function sliceElementType(lists: Json[][]): ElementKind {
  let previous: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const type = goTypeName(item);
      if (previous === undefined) {
        previous = type;
        if (Array.isArray(item)) throw unprocessable("lists of lists are not supported");
      } else if (previous !== type) {
        throw invalidPatch(`list element types are not identical: ${goValue(lists)}`);
      }
    }
  }
  if (previous === undefined) throw invalidPatch("no elements in any of the given slices");
  return previous === mapType ? "map" : previous;
}

export function index(list: Json[], lookUp: Json, mergeKey: string, kind: ElementKind): number {
  const valueOf = (item: Json): Json =>
    kind === "map" ? (isObject(item) ? (getKey(item, mergeKey) ?? null) : null) : item;
  const wanted = valueOf(lookUp);
  return list.findIndex((item) => same(valueOf(item), wanted));
}

export function extractToDeleteItems(list: Json[]): { nonDelete: Json[]; toDelete: Json[] } {
  const nonDelete: Json[] = [];
  const toDelete: Json[] = [];
  for (const item of list) {
    if (!isObject(item)) throw errBadArgType(mapType, item);
    (getKey(item, directiveMarker) === deleteDirective ? toDelete : nonDelete).push(item);
  }
  return { nonDelete, toDelete };
}

export function validateMergeKeyInLists(mergeKey: string, ...lists: Json[][]): void {
  for (const list of lists)
    for (const item of list) {
      if (!isObject(item)) throw errBadArgType(mapType, item);
      if (!Object.hasOwn(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    }
}

/** normalizeSliceOrder: sort `toSort` by `order` (a stable insertion sort, as Go's sort.SliceStable does it). */
export function normalizeSliceOrder(toSort: Json[], order: Json[], mergeKey: string, kind: ElementKind): Json[] {
  let items = toSort;
  let toDelete: Json[] = [];
  if (kind === "map") {
    validateMergeKeyInLists(mergeKey, toSort, order);
    ({ nonDelete: items, toDelete } = extractToDeleteItems(toSort));
  }
  const sorted = [...items];
  const less = (a: Json, b: Json): boolean => {
    const ia = index(order, a, mergeKey, kind);
    if (ia >= 0) {
      const ib = index(order, b, mergeKey, kind);
      if (ib >= 0) return ia < ib;
    }
    return true;
  };
  for (let i = 1; i < sorted.length; i++)
    for (let j = i; j > 0 && less(sorted[j], sorted[j - 1]); j--)
      [sorted[j], sorted[j - 1]] = [sorted[j - 1], sorted[j]];
  return [...sorted, ...toDelete];
}

/** Patch items keep the patch's order, server-only items the live order, interleaved by the live order. */
export function normalizeElementOrder(
  patch: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  mergeKey: string,
  kind: ElementKind,
): Json[] {
  return mergeSortedSlice(
    normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind),
    normalizeSliceOrder(patch, patchOrder, mergeKey, kind),
    serverOrder,
    mergeKey,
    kind,
  );
}

export function mergeSortedSlice(
  left: Json[],
  right: Json[],
  serverOrder: Json[],
  mergeKey: string,
  kind: ElementKind,
): Json[] {
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = index(serverOrder, left[i], mergeKey, kind);
      const ri = index(serverOrder, right[j], mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}
