// metadata.managedFields as kube-apiserver keeps it: one entry per manager (name, operation Apply or Update,
// apiVersion for updaters, subresource) with the fields it owns. An update takes the fields it changed from
// everyone else; an apply owns exactly what it applied, conflicts with other owners of a field it changes unless
// forced, and drops what it applied before and no longer applies when no one else owns it.
import type { KubeObject, ManagedFieldsEntry } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import { StatusError } from "../errors.js";
import { FieldSet, pathString } from "./fieldpath.js";
import { compare, merge, removeFields, toFieldSet } from "./fieldsets.js";
import { kindType } from "./typed.js";

export interface Manager {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

export type Subresource = "" | "status";

/** What identifies a manager (upstream's BuildManagerIdentifier): an applier's apiVersion does not. */
export function managerIdentity(entry: ManagedFieldsEntry): string {
  const id: Record<string, string> = { manager: entry.manager ?? "", operation: entry.operation ?? "" };
  if (entry.operation !== "Apply") id.apiVersion = entry.apiVersion ?? "";
  if (entry.subresource) id.subresource = entry.subresource;
  return JSON.stringify(id);
}

export function decodeManagers(entries: ManagedFieldsEntry[] | undefined): Manager[] {
  return (entries ?? [])
    .filter((entry) => entry && typeof entry === "object")
    .map((entry) => ({ entry, set: FieldSet.fromFieldsV1(entry.fieldsV1) }));
}

export function encodeManagers(managers: Manager[]): ManagedFieldsEntry[] | undefined {
  const entries = managers
    .filter((m) => !m.set.isEmpty())
    .map(({ entry, set }) => {
      const out: ManagedFieldsEntry = {
        manager: entry.manager,
        operation: entry.operation,
        apiVersion: entry.apiVersion,
        time: entry.time,
        fieldsType: "FieldsV1",
        fieldsV1: set.toFieldsV1(),
      };
      if (entry.subresource) out.subresource = entry.subresource;
      return out;
    });
  // upstream's order: appliers first, then by time, manager, apiVersion and subresource
  const rank = (e: ManagedFieldsEntry) => [
    e.operation ?? "",
    e.time ?? "",
    e.manager ?? "",
    e.apiVersion ?? "",
    e.subresource ?? "",
  ];
  entries.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    const at = x.findIndex((v, i) => v !== y[i]);
    return at < 0 ? 0 : x[at] < y[at] ? -1 : 1;
  });
  return entries.length ? entries : undefined;
}

const rfc3339 = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Server-owned metadata no manager owns (upstream's stripMeta) and the fields a subresource's writes ignore. */
const untrackedMeta = [
  "name",
  "namespace",
  "generateName",
  "creationTimestamp",
  "selfLink",
  "uid",
  "generation",
  "managedFields",
  "resourceVersion",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
];

export function trackedFields(def: ResourceDefinition, object: unknown, subresource: Subresource): unknown {
  if (!object || typeof object !== "object") return {};
  const { apiVersion: _a, kind: _k, metadata, ...rest } = object as Record<string, unknown>;
  const meta = { ...(metadata as Record<string, unknown>) };
  for (const key of untrackedMeta) delete meta[key];
  if (subresource === "status")
    return rest.status === undefined ? { metadata: meta } : { metadata: meta, status: rest.status };
  if (def.hasStatus) delete rest.status;
  return { metadata: meta, ...rest };
}

/** metadata itself is no one's field (upstream strips it with the server-owned ones); what is in it can be. */
function stripMetadata(set: FieldSet): FieldSet {
  const meta = set.children.get("f:metadata");
  if (meta) meta.member = false;
  return set;
}

function findManager(managers: Manager[], entry: ManagedFieldsEntry): Manager {
  const id = managerIdentity(entry);
  let found = managers.find((m) => managerIdentity(m.entry) === id);
  if (!found) managers.push((found = { entry: { ...entry }, set: new FieldSet() }));
  return found;
}

/**
 * An update (create, PUT, or a patch of another type) by `manager`: it takes the fields it changed from every
 * other manager and adds them to its own. Nothing changed: the entries stay as they are (no new time).
 */
export function trackUpdate(
  def: ResourceDefinition,
  old: KubeObject | undefined,
  object: KubeObject,
  manager: string,
  subresource: Subresource,
  now: Date,
): ManagedFieldsEntry[] | undefined {
  const base = object.metadata.managedFields;
  const type = kindType(def);
  const { changed, removed } = compare(
    trackedFields(def, old ?? {}, subresource),
    trackedFields(def, object, subresource),
    type,
  );
  stripMetadata(changed);
  stripMetadata(removed);
  if (changed.isEmpty() && removed.isEmpty()) return base;
  const managers = decodeManagers(base);
  const me = findManager(managers, {
    manager,
    operation: "Update",
    apiVersion: object.apiVersion,
    subresource: subresource || undefined,
  });
  // Only the managers that owned a changed or removed field lose it; the others' sets stay as decoded.
  for (const m of managers) {
    if (m.set.overlaps(changed)) m.set = m.set.difference(changed);
    if (m.set.overlaps(removed)) m.set = m.set.difference(removed);
  }
  me.set = me.set.union(changed).difference(removed);
  me.entry.time = rfc3339(now);
  return encodeManagers(managers);
}

export interface Conflict {
  manager: ManagedFieldsEntry;
  path: string;
}

function describeManager(entry: ManagedFieldsEntry): string {
  let text = JSON.stringify(entry.manager ?? "");
  if (entry.subresource) text += ` with subresource ${JSON.stringify(entry.subresource)}`;
  return entry.operation === "Update" ? `${text} using ${entry.apiVersion}` : text;
}

/** Upstream's 409 for apply conflicts (k8s.io/apimachinery managedfields/internal/conflict.go). */
export function conflictError(conflicts: Conflict[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: "FieldManagerConflict",
    message: `conflict with ${describeManager(c.manager)}`,
    field: c.path,
  }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${describeManager(conflicts[0].manager)}: ${conflicts[0].path}`;
  } else {
    const byManager = new Map<string, { entry: ManagedFieldsEntry; paths: string[] }>();
    for (const c of conflicts) {
      const id = managerIdentity(c.manager);
      if (!byManager.has(id)) byManager.set(id, { entry: c.manager, paths: [] });
      byManager.get(id)?.paths.push(c.path);
    }
    const lines: string[] = [];
    for (const id of [...byManager.keys()].sort()) {
      const { entry, paths } = byManager.get(id) as { entry: ManagedFieldsEntry; paths: string[] };
      lines.push(`conflicts with ${describeManager(entry)}:`, ...paths.map((p) => `- ${p}`));
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
  }
  return new StatusError(409, "Conflict", message, { causes });
}

export interface ApplyResult {
  object: KubeObject;
  changed: boolean;
}

/**
 * Server-side apply of `config` by `manager` to `live` (undefined: the object does not exist yet). Throws the
 * 409 on conflicts unless `force`; `allowConflict` may waive a conflict (client-side apply's migration).
 */
export function applyConfig(
  def: ResourceDefinition,
  live: KubeObject | undefined,
  config: KubeObject,
  manager: string,
  force: boolean,
  subresource: Subresource,
  now: Date,
  allowConflict: (path: string[]) => boolean = () => false,
): ApplyResult {
  const type = kindType(def);
  const managers = decodeManagers(live?.metadata.managedFields);
  const entry = { manager, operation: "Apply", apiVersion: config.apiVersion, subresource: subresource || undefined };
  const me = findManager(managers, entry);
  const others = managers.filter((m) => m !== me);
  const configSet = stripMetadata(toFieldSet(trackedFields(def, config, subresource), type));

  const { managedFields: _m, ...liveMeta } = live?.metadata ?? {};
  let merged = merge({ ...(live ?? {}), metadata: liveMeta }, config, type) as KubeObject;
  const othersOwn = others.reduce((all, m) => all.union(m.set), new FieldSet());
  const dropped = me.set.difference(configSet);
  // what it applies now stays too: `data` goes from its set, `data.color` stays in it
  if (!dropped.isEmpty()) merged = removeFields(merged, dropped, othersOwn.union(configSet), type) as KubeObject;

  const before = trackedFields(def, live ?? {}, subresource);
  const { changed, removed } = compare(before, trackedFields(def, merged, subresource), type);
  stripMetadata(changed);
  stripMetadata(removed);
  const clashes = others.map((other) => ({ other, clash: other.set.intersection(changed) }));
  const clashing = clashes.flatMap(({ other, clash }) => clash.paths().map((path) => ({ other, path })));
  // upstream forces the apply when every conflict is waived, and reports all of them when one is not
  if (!force && clashing.some(({ path }) => !allowConflict(path))) {
    throw conflictError(clashing.map(({ other, path }) => ({ manager: other.entry, path: pathString(path) })));
  }
  for (const { other, clash } of clashes) other.set = other.set.difference(clash);
  for (const m of managers) m.set = m.set.difference(removed);
  const unchanged = changed.isEmpty() && removed.isEmpty() && me.set.equals(configSet);
  if (unchanged && live) return { object: live, changed: false };
  me.set = configSet;
  me.entry.time = rfc3339(now);
  me.entry.apiVersion = config.apiVersion;
  merged.metadata.managedFields = encodeManagers(managers);
  if (!merged.metadata.managedFields) delete merged.metadata.managedFields;
  return { object: merged, changed: true };
}
