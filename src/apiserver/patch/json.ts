// JSON values as the patch code sees them: parsed once at the boundary (applyPatch), typed from then on.

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Copies a parsed value into plain JSON; refuses anything JSON cannot carry (functions, symbols, bigints,
 * non-finite numbers). A cyclic value overflows the stack (RangeError), which the caller reports like the rest.
 */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("non-finite number is not JSON");
    return value;
  }
  if (typeof value !== "object") throw new TypeError(`${typeof value} is not JSON`);
  if (Array.isArray(value)) {
    const out: Json[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = value[i] === undefined ? null : toJson(value[i]);
    return out;
  }
  const out: JsonObject = {};
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) setKey(out, key, toJson(item));
  }
  return out;
}

/** Deep copy of a JSON value. */
export function clone<T extends Json>(value: T): T {
  return toJson(value) as T;
}

/** Structural equality, as JSON compares documents (object key order does not matter). */
export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (Array.isArray(b) || typeof a !== "object" || typeof b !== "object") return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]))
  );
}

/** obj[key] for own keys only: "__proto__" or "constructor" in a document must not reach Object.prototype. */
export function getKey(obj: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** obj[key] = value, defining "__proto__" as an ordinary own property (a valid ConfigMap key) instead of
 * changing the object's prototype. */
export function setKey(obj: JsonObject, key: string, value: Json): void {
  if (key === "__proto__")
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}
