// The typed operations server-side apply is made of (structured-merge-diff's ToFieldSet, Compare, Merge and
// RemoveItems), walking a value and its FieldType together.
import { deepEqual as equal } from "../../api/validation/meta.js";
import { FieldSet, itemKey, valueKey } from "./fieldpath.js";
import { isLeaf, isObject, shapeOf, type FieldType } from "./typed.js";

type Item = { key: string; value: unknown };

const isStruct = (declared: FieldType, value: unknown) => {
  const type = shapeOf(declared, value);
  return type.kind === "object" && !!type.struct && !isLeaf(type, value);
};

/** A list's items with their fieldsV1 keys; undefined for a list that is one leaf. */
function itemsOf(type: FieldType, value: unknown): Item[] | undefined {
  if (type.kind !== "list" || !Array.isArray(value) || type.listType === "atomic") return undefined;
  return value.map((item) => ({
    key: type.listType === "map" && isObject(item) ? itemKey(item, type.keys) : valueKey(item),
    value: item,
  }));
}

/** Adds every field of `value` under `node` (the node itself only when the value is a leaf or an empty object). */
export function addFields(node: FieldSet, value: unknown, declared: FieldType): void {
  const type = shapeOf(declared, value);
  if (isLeaf(type, value)) {
    node.member = true;
    return;
  }
  if (type.kind === "object" && isObject(value)) {
    const keys = Object.keys(value).filter((key) => value[key] !== undefined);
    if (keys.length === 0) node.member = true;
    for (const key of keys) addFields(node.child(`f:${key}`), value[key], type.field(key));
    return;
  }
  if (type.kind !== "list") return;
  for (const item of itemsOf(type, value) ?? []) {
    const child = node.child(item.key);
    child.member = true; // a list item is owned as a whole, and its fields one by one
    if (type.listType === "map") addFields(child, item.value, type.item);
    child.member = true;
  }
}

export function toFieldSet(value: unknown, type: FieldType): FieldSet {
  const set = new FieldSet();
  addFields(set, value, type);
  set.member = false;
  return set;
}

export interface Comparison {
  /** Paths whose value is new or different. */
  changed: FieldSet;
  /** Paths that are gone. */
  removed: FieldSet;
}

/** What differs between `before` and `after`, path by path. */
export function compare(before: unknown, after: unknown, type: FieldType): Comparison {
  // The walk records each path under its parent's node; the root hangs under a scratch parent at key "".
  const top = { changed: new FieldSet(), removed: new FieldSet() };
  diff(before, after, type, top.changed, top.removed, "");
  const result = {
    changed: top.changed.children.get("") ?? new FieldSet(),
    removed: top.removed.children.get("") ?? new FieldSet(),
  };
  result.changed.member = false;
  result.removed.member = false;
  return result;
}

/** The node at `key` under `parent`, or a new one not yet attached: attach() keeps it only when it holds a path. */
const nodeAt = (parent: FieldSet, key: string): FieldSet => parent.children.get(key) ?? new FieldSet();
const attach = (parent: FieldSet, key: string, node: FieldSet): void => {
  if (node.member || node.children.size) parent.children.set(key, node);
};

/**
 * Records under `changedIn` and `removedIn`, at `key`, what differs between `a` and `b`. One walk of both values:
 * a leaf is compared once, and nodes are made only for paths that differ (most of an object is the same before
 * and after a write, and this runs on every write).
 */
function diff(
  a: unknown,
  b: unknown,
  declared: FieldType,
  changedIn: FieldSet,
  removedIn: FieldSet,
  key: string,
): void {
  if (a === b) return;
  // a map that appears or goes is itself a change, besides everything in it, as a list item is; a struct is
  // only its fields (upstream's `f:data: {.: {}, f:color: {}}` but `f:spec: {f:replicas: {}}`)
  if (a === undefined) {
    const changed = changedIn.child(key);
    addFields(changed, b, declared);
    if (!isStruct(declared, b)) changed.member = true;
    return;
  }
  if (b === undefined) {
    const removed = removedIn.child(key);
    addFields(removed, a, declared);
    if (!isStruct(declared, a)) removed.member = true;
    return;
  }
  const type = shapeOf(declared, b);
  if (isLeaf(type, a) || isLeaf(type, b)) {
    if (!equal(a, b)) changedIn.child(key).member = true;
    return;
  }
  const changed = nodeAt(changedIn, key);
  const removed = nodeAt(removedIn, key);
  if (type.kind === "object" && isObject(a) && isObject(b)) {
    const keysOfB = Object.keys(b);
    if (keysOfB.length === 0 && Object.keys(a).length !== 0) changed.member = true;
    for (const name of Object.keys(a)) diff(a[name], b[name], type.field(name), changed, removed, `f:${name}`);
    for (const name of keysOfB) {
      if (!Object.hasOwn(a, name)) diff(undefined, b[name], type.field(name), changed, removed, `f:${name}`);
    }
  } else if (type.kind === "list") {
    const before = new Map((itemsOf(type, a) ?? []).map((i) => [i.key, i.value]));
    const after = new Map((itemsOf(type, b) ?? []).map((i) => [i.key, i.value]));
    for (const item of new Set([...before.keys(), ...after.keys()])) {
      const [x, y] = [before.get(item), after.get(item)];
      if (x === undefined || y === undefined || type.listType === "set") {
        if (x === undefined) changed.child(item).member = true;
        if (y === undefined) removed.child(item).member = true;
      }
      if (type.listType === "map") diff(x, y, type.item, changed, removed, item);
    }
  }
  attach(changedIn, key, changed);
  attach(removedIn, key, removed);
}

/** Apply's merge: the configuration's values over the live object's, keyed items matched, sets united. */
export function merge(live: unknown, config: unknown, declared: FieldType): unknown {
  if (config === undefined) return live;
  const type = shapeOf(declared, config);
  if (live === undefined || isLeaf(type, config) || isLeaf(type, live)) return structuredClone(config);
  if (type.kind === "object" && isObject(live) && isObject(config)) {
    const out: Record<string, unknown> = { ...live };
    for (const [key, value] of Object.entries(config)) out[key] = merge(live[key], value, type.field(key));
    return out;
  }
  if (type.kind !== "list") return structuredClone(config);
  const out = (itemsOf(type, live) ?? []).map((i) => ({ ...i }));
  for (const item of itemsOf(type, config) ?? []) {
    const at = out.findIndex((i) => i.key === item.key);
    if (at < 0) out.push({ key: item.key, value: structuredClone(item.value) });
    else if (type.listType === "map") out[at].value = merge(out[at].value, item.value, type.item);
  }
  return out.map((i) => i.value);
}

/**
 * The value without the paths in `remove`; a path's whole value goes only if no path in `keep` lies below it
 * (another manager's field inside an item this manager no longer applies stays, and so does the item).
 */
export function removeFields(value: unknown, remove: FieldSet, keep: FieldSet, declared: FieldType): unknown {
  const type = shapeOf(declared, value);
  if (type.kind === "object" && isObject(value) && !type.atomic) {
    const out: Record<string, unknown> = { ...value };
    for (const [edge, node] of remove.children) {
      const key = edge.slice(2);
      if (!edge.startsWith("f:") || !(key in out)) continue;
      const kept = keep.children.get(edge) ?? new FieldSet();
      if (node.member && kept.isEmpty()) delete out[key];
      else out[key] = removeFields(out[key], node, kept, type.field(key));
    }
    return out;
  }
  const items = itemsOf(type, value);
  if (!items || type.kind !== "list") return value;
  const out: unknown[] = [];
  for (const item of items) {
    const node = remove.children.get(item.key);
    const kept = keep.children.get(item.key) ?? new FieldSet();
    if (!node) out.push(item.value);
    else if (node.member && kept.isEmpty()) continue;
    else out.push(type.listType === "map" ? removeFields(item.value, node, kept, type.item) : item.value);
  }
  return out;
}
