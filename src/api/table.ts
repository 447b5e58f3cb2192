// Helpers for `kubectl get` tables, as upstream's printers (pkg/printers/internalversion/printers.go) fill them.
// The server renders every cell, including AGE: kubectl prints cells as given and only hides priority-1 columns.
import type { TableColumnDefinition } from "./resource.js";
import type { PersistentVolumeAccessMode } from "./core/types.js";

const nameDescription =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const creationTimestampDescription =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

export const nameColumn: TableColumnDefinition = {
  name: "Name",
  type: "string",
  format: "name",
  description: nameDescription,
  priority: 0,
};
export const ageColumn: TableColumnDefinition = {
  name: "Age",
  type: "string",
  description: creationTimestampDescription,
  priority: 0,
};
/** The server's default table (kinds with no printer upstream, e.g. Role): NAME and CREATED AT, RFC3339 in UTC. */
export const createdAtColumn: TableColumnDefinition = {
  name: "Created At",
  type: "date",
  description: creationTimestampDescription,
  priority: 0,
};
/** A CRD's `type: date` column (the snapshot objects): the cell is still a rendered duration. */
export const crdAgeColumn: TableColumnDefinition = { name: "Age", type: "date", description: "", priority: 0 };

export function column(
  name: string,
  type: TableColumnDefinition["type"],
  description: string,
  priority: 0 | 1 = 0,
): TableColumnDefinition {
  return { name, type, description, priority };
}

/**
 * upstream's duration.HumanDuration: "45s", "3m2s", "15m", "2h5m", "10h", "3d4h", "20d", "2y30d", "10y".
 * Within two seconds in the future counts as now (clock skew); further is "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const years = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** upstream's ShortHumanDuration (kubectl describe's event ages). */
export function shortHumanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${Math.trunc(hours / 24)}d`;
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** upstream's translateTimestampSince: "<unknown>" for a missing or unparsable timestamp. */
export function translateTimestampSince(timestamp: string | null | undefined, now: Date): string {
  if (!timestamp) return "<unknown>";
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return "<unknown>";
  return humanDuration(now.getTime() - at);
}

/** upstream's helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, comma-joined. */
export function accessModesAsString(modes: readonly PersistentVolumeAccessMode[] | undefined): string {
  const present = new Set(modes ?? []);
  const out: string[] = [];
  if (present.has("ReadWriteOnce")) out.push("RWO");
  if (present.has("ReadOnlyMany")) out.push("ROX");
  if (present.has("ReadWriteMany")) out.push("RWX");
  if (present.has("ReadWriteOncePod")) out.push("RWOP");
  return out.join(",");
}

/** Reads a dotted path ("spec.source.persistentVolumeClaimName") out of an object, as a CRD's jsonPath column does. */
export function jsonPathValue(object: unknown, path: string): unknown {
  let current: unknown = object;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * A CRD additionalPrinterColumns cell, as apiextensions' tableconvertor fills it: strings printed as-is (other
 * values JSON-ish), booleans and integers typed, dates rendered as an age; missing values are null ("<none>").
 */
export function crdCell(type: TableColumnDefinition["type"], value: unknown, now: Date): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case "string":
      return typeof value === "string" ? value : JSON.stringify(value);
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "integer":
      return typeof value === "number" ? Math.trunc(value) : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "date":
      if (typeof value !== "string") return null;
      return Number.isNaN(Date.parse(value)) ? "<invalid>" : translateTimestampSince(value, now);
  }
}
