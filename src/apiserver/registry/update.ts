// The decisions of an update (PUT, …/status, namespaces' …/finalize), apart from the registry's reads and writes:
// which object the request may name, which revision it may expect, what the server keeps from the stored object,
// and what makes the new object invalid. Each mutates or reads the request's object only.
import { forbidden as forbiddenField, type FieldError } from "../../api/field.js";
import type { KubeObject, ObjectMeta } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import { badRequest, conflict, invalid } from "../errors.js";

export type UpdateSubresource = "" | "status" | "finalize";

const systemMetaFields = ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"] as const;

/** The object's name and namespace are the URL's (when the object gives them, they must agree). */
export function checkUpdateTarget(
  def: ResourceDefinition,
  object: KubeObject,
  namespace: string | undefined,
  name: string,
): void {
  const meta: ObjectMeta = (object.metadata ??= {});
  if (meta.name !== undefined && meta.name !== name) {
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
  if (def.namespaced) {
    if (meta.namespace && meta.namespace !== namespace) {
      throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    meta.namespace = namespace;
  } else delete meta.namespace;
  meta.name = name;
}

/** A resourceVersion the client sent must be the stored one (optimistic concurrency); none means "any". */
export function checkResourceVersion(def: ResourceDefinition, object: KubeObject, old: KubeObject): void {
  const { name, resourceVersion } = object.metadata;
  if (resourceVersion === undefined || resourceVersion === "") return;
  if (!/^\d+$/.test(resourceVersion)) {
    throw invalid(def.group, def.kind, name ?? "", [
      {
        type: "FieldValueInvalid",
        field: "metadata.resourceVersion",
        badValue: resourceVersion,
        detail: "must be a decimal integer",
      },
    ]);
  }
  if (resourceVersion !== old.metadata.resourceVersion) {
    throw conflict({ group: def.group, resource: def.plural }, name ?? "");
  }
}

/**
 * What the request may not change comes from the stored object: server-owned metadata always; through …/status
 * everything but status; through …/finalize everything but spec.finalizers; through the main resource, status
 * (for kinds with a status subresource).
 */
export function keepServerOwned(
  def: ResourceDefinition,
  object: KubeObject,
  old: KubeObject,
  subresource: UpdateSubresource,
): void {
  const meta = object.metadata;
  for (const field of systemMetaFields) {
    if (old.metadata[field] === undefined) delete meta[field];
    else (meta as Record<string, unknown>)[field] = old.metadata[field];
  }
  // upstream's BeforeUpdate: requests cannot change generation
  if (old.metadata.generation === undefined) delete meta.generation;
  else meta.generation = old.metadata.generation;
  // What a request sends as managedFields replaces the stored entries (upstream lets a client rewrite them, as
  // kubectl does to move client-side apply's fields to server-side apply); sending none keeps them.
  if (!Array.isArray(meta.managedFields) || meta.managedFields.length === 0) {
    if (old.metadata.managedFields === undefined) delete meta.managedFields;
    else meta.managedFields = old.metadata.managedFields;
  }
  const record = object as unknown as Record<string, unknown>;
  const oldRecord = old as unknown as Record<string, unknown>;

  if (subresource === "status") {
    // Only status changes through …/status (upstream's ResetObjectMetaForStatus + spec from old).
    const status = record.status;
    const managedFields = meta.managedFields;
    for (const key of Object.keys(record)) delete record[key];
    Object.assign(record, structuredClone(oldRecord));
    record.status = status;
    object.metadata.managedFields = managedFields;
    if (managedFields === undefined) delete object.metadata.managedFields;
    if (status === undefined) delete record.status;
  } else if (subresource === "finalize") {
    // namespaces/{name}/finalize: only spec.finalizers changes
    const finalizers = (record.spec as { finalizers?: unknown } | undefined)?.finalizers;
    for (const key of Object.keys(record)) delete record[key];
    Object.assign(record, structuredClone(oldRecord));
    record.spec = { ...((record.spec as object | undefined) ?? {}), finalizers: finalizers ?? [] };
  } else if (def.hasStatus) {
    if (oldRecord.status === undefined) delete record.status;
    else record.status = structuredClone(oldRecord.status);
  }
}

/**
 * The strategy's validation for this subresource (none for …/finalize and for server-internal writes), and
 * upstream's rule that an object being deleted takes no new finalizers.
 */
export function updateErrors(
  def: ResourceDefinition,
  object: KubeObject,
  old: KubeObject,
  subresource: UpdateSubresource,
  internal: boolean,
): FieldError[] {
  const errors: FieldError[] =
    subresource === "status"
      ? (def.validateStatusUpdate?.(object, old) ?? [])
      : subresource === "finalize" || internal
        ? []
        : def.validateUpdate(object, old);
  if (old.metadata.deletionTimestamp) {
    const added = (object.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
    if (added.length) {
      errors.push(
        forbiddenField("metadata.finalizers", "no new finalizers can be added if the object is being deleted"),
      );
    }
  }
  return errors;
}

/** Removing the last finalizer of an object being deleted deletes it (upstream's deleteWithoutFinalizers). */
export function finishesDeletion(def: ResourceDefinition, object: KubeObject, old: KubeObject): boolean {
  return (
    !!old.metadata.deletionTimestamp &&
    !(object.metadata.finalizers ?? []).length &&
    !pendingSpecFinalizers(def, object).length
  );
}

/** A namespace's spec.finalizers ("kubernetes") hold it Terminating while its content is deleted. */
export function pendingSpecFinalizers(def: ResourceDefinition, object: KubeObject): string[] {
  if (def.group !== "" || def.plural !== "namespaces") return [];
  return (object as KubeObject & { spec?: { finalizers?: string[] } }).spec?.finalizers ?? [];
}
