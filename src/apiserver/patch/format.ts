// Go's fmt verbs for the JSON values patches handle, so error texts read exactly as upstream's do:
// %v prints map[string]interface{} as `map[a:1 b:[x y]]` (keys sorted) and nil as `<nil>`.
import type { Json } from "./json.js";

/** fmt's %v of a decoded JSON value. */
export function goValue(value: Json | undefined): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[" + value.map(goValue).join(" ") + "]";
  if (typeof value === "object")
    return (
      "map[" +
      Object.keys(value)
        .sort()
        .map((key) => `${key}:${goValue(value[key])}`)
        .join(" ") +
      "]"
    );
  return String(value);
}

/** fmt's %s: strings as they are, anything else as Go's %!s(type=value). */
export function goString(value: Json | undefined): string {
  if (typeof value === "string") return value;
  return `%!s(${goTypeName(value)}=${goValue(value)})`;
}

/** reflect.TypeOf(v).String() for a value decoded by the apiserver (integers kept as int64). */
export function goTypeName(value: Json | undefined): string {
  if (value === null || value === undefined) return "<nil>";
  if (Array.isArray(value)) return "[]interface {}";
  switch (typeof value) {
    case "object":
      return "map[string]interface {}";
    case "string":
      return "string";
    case "boolean":
      return "bool";
    default:
      return Number.isInteger(value) ? "int64" : "float64";
  }
}

/** Go's json error for decoding `value` into a Go type named `into` (e.g. "map[string]interface {}"). */
export function cannotUnmarshal(value: Json, into: string): string {
  const kind =
    value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "object" ? "object" : typeof value;
  return `json: cannot unmarshal ${kind} into Go value of type ${into}`;
}
