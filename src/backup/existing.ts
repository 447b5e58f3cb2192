// What a restore does with an object that is already there (Velero's existingResourcePolicy). "none" (the
// default) leaves it, with a warning when it differs from the backed-up version; "update" patches it to the
// backed-up version (a JSON merge patch from the object in the cluster to the backup's, as Velero computes it)
// and reports it Updated. Only what the backup holds is compared: labels, annotations and everything outside
// metadata, so fields the server defaulted on the existing object do not count as a difference.
import type { RestoreItemResult } from "../api/backup/types.js";
import type { KubeObject } from "../api/meta.js";
import { isAlreadyExists } from "../client/index.js";
import { cleaned } from "./objects.js";

export interface RestoredResource {
  create(object: KubeObject): Promise<unknown>;
  getByKey(key: { namespace?: string; name: string }): Promise<KubeObject>;
  patch(namespace: string | undefined, name: string, type: "merge", patch: unknown): Promise<unknown>;
}

export interface ExistingOutcome {
  result: RestoreItemResult["result"];
  message?: string;
  /** A difference left in place, or an update that failed: counted in status.warnings. */
  warning?: boolean;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The part of an object a backup decides: no server-managed metadata, no status, not who restored it. */
function content(object: KubeObject, ignoredAnnotation: string): Json {
  const { metadata, ...rest } = cleaned(object) as KubeObject & Json;
  delete rest.status;
  const annotations = { ...metadata.annotations };
  delete annotations[ignoredAnnotation];
  const kept: Json = {};
  if (metadata.labels && Object.keys(metadata.labels).length) kept.labels = metadata.labels;
  if (Object.keys(annotations).length) kept.annotations = annotations;
  return { ...rest, metadata: kept };
}

/** True when every field of `part` has the same value in `whole` (what the server added does not count). */
export function isContainedIn(part: unknown, whole: unknown): boolean {
  if (isObject(part) && isObject(whole))
    return Object.entries(part).every(([key, value]) => isContainedIn(value, whole[key]));
  if (Array.isArray(part) && Array.isArray(whole))
    return part.length === whole.length && part.every((value, i) => isContainedIn(value, whole[i]));
  return part === whole;
}

/** RFC 7386: the merge patch that turns `from` into `to` (a key absent from `to` becomes null). */
export function mergePatch(from: Json, to: Json): Json {
  const patch: Json = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    const old = from[key];
    if (isObject(old) && isObject(value)) {
      const inner = mergePatch(old, value);
      if (Object.keys(inner).length) patch[key] = inner;
    } else if (JSON.stringify(old) !== JSON.stringify(value)) patch[key] = value;
  }
  return patch;
}

const kindAndName = (object: KubeObject) => `${object.kind} "${object.metadata.name}"`;

/**
 * Creates the object marked as `owner`'s; one that exists is Skipped unless `owner` made it on an earlier pass
 * (then still Created) or the policy is update and it differs (then patched: Updated).
 */
export async function createOrReconcile(
  resource: RestoredResource,
  object: KubeObject,
  owner: string,
  marker: string,
  policy: "none" | "update" = "none",
): Promise<ExistingOutcome> {
  object.metadata.annotations = { ...object.metadata.annotations, [marker]: owner };
  try {
    await resource.create(object);
    return { result: "Created" };
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const { namespace, name = "" } = object.metadata;
  const existing = await resource.getByKey({ namespace, name });
  if (existing.metadata.annotations?.[marker] === owner) return { result: "Created" };
  const desired = content(object, marker);
  const current = content(existing, marker);
  if (isContainedIn(desired, current)) return { result: "Skipped" };
  const differs = `could not restore, ${kindAndName(object)} already exists. Warning: the in-cluster version is different than the backed-up version`;
  if (policy !== "update") return { result: "Skipped", message: differs, warning: true };
  // The marker goes on with the patch: this restore owns the object's content from now on.
  const patch = mergePatch(current, desired);
  const metadata = isObject(patch.metadata) ? patch.metadata : {};
  const annotations = isObject(metadata.annotations) ? metadata.annotations : {};
  patch.metadata = { ...metadata, annotations: { ...annotations, [marker]: owner } };
  try {
    await resource.patch(namespace, name, "merge", patch);
    return { result: "Updated" };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { result: "Skipped", message: `${differs}; it could not be updated: ${why}`, warning: true };
  }
}
