// syncRestore: one Restore, one step at a time. New → InProgress → the backup's namespaces (mapped) → its claims,
// each filled from the repository by a mover pod before anything that uses it exists → everything else in
// dependency order (so a StatefulSet finds its volumeClaimTemplates' claims already there, with their data).
// Whatever exists is skipped (existing.ts: or, with existingResourcePolicy update, patched to the backed-up version;
// claims and namespaces are always left as they are), and every object's result is in status.items.
import type { Restore, RestoreItemResult } from "../api/backup/types.js";
import type { PersistentVolumeClaim } from "../api/core/types.js";
import type { KubeObject } from "../api/meta.js";
import type { Client } from "../client/index.js";
import { groupResourceOf, isAlreadyExists, isNotFound, splitKey } from "../client/index.js";
import type { Log } from "../support/log.js";
import { backedUpResources, forRestore, type BackupManifest } from "./objects.js";
import { LocationError, repositoryOf } from "./location.js";
import { moverNames, moverOutcome, passwordSecret, restorePod } from "./mover.js";
import { dumpFile, snapshots, type Repository } from "./restic.js";
import { backupResource, backupTag, claimTag, manifestTag, restoreResource } from "./resources.js";
import { claimsWithData, manifestFile, removePasswordSecrets } from "./backup.js";
import { createOrReconcile, type RestoredResource } from "./existing.js";

export interface RestoreSyncContext {
  client: Client;
  log: Log;
  now(): Date;
  requeueAfter(key: string, delayMs: number): void;
}

/** On a claim a restore made: which restore, and (once its data is back) that it is. */
export const restoredByAnnotation = "backup.stowage.dev/restored-by";
export const dataRestoredAnnotation = "backup.stowage.dev/data-restored";
const finished = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation"]);

export async function syncRestore(ctx: RestoreSyncContext, key: string): Promise<void> {
  const { namespace = "", name } = splitKey(key);
  const restores = ctx.client.resource(restoreResource);
  const restore = await restores.get(namespace, name).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!restore || finished.has(restore.status?.phase ?? "New")) return;
  const fail = async (phase: "Failed" | "FailedValidation", message: string) => {
    const latest = await restores.get(namespace, name);
    const status = { ...latest.status, phase, completionTimestamp: ctx.now().toISOString() };
    if (phase === "FailedValidation") status.validationErrors = [message];
    else status.failureReason = message;
    await restores.updateStatus({ ...latest, status });
  };
  let repository: Repository;
  try {
    // The Backup object names its location; a second stowage that only shares the location uses its default one.
    const backup = await ctx.client
      .resource(backupResource)
      .get(namespace, restore.spec.backupName ?? "")
      .catch(() => undefined);
    repository = (await repositoryOf(ctx.client, namespace, backup?.spec.storageLocation)).repository;
  } catch (err) {
    if (!(err instanceof LocationError)) throw err;
    return fail("FailedValidation", err.message);
  }
  if ((restore.status?.phase ?? "New") === "New") {
    const status = { ...restore.status, phase: "InProgress" as const, startTimestamp: ctx.now().toISOString() };
    await restores.updateStatus({ ...restore, status });
    return;
  }
  try {
    if (!(await advance(ctx, restore, repository))) ctx.requeueAfter(key, 500);
  } catch (err) {
    ctx.log("restore failed", { restore: key, err: String(err) });
    await fail("Failed", err instanceof Error ? err.message : String(err));
  }
}

async function advance(ctx: RestoreSyncContext, restore: Restore, repository: Repository): Promise<boolean> {
  const backupName = restore.spec.backupName ?? "";
  const taken = await snapshots(repository, [backupTag(backupName)]);
  const saved = taken.find((s) => s.tags?.includes(manifestTag));
  if (!saved) throw new Error(`backup "${backupName}" is not in the backup storage location`);
  const manifest = JSON.parse((await dumpFile(repository, saved.id, manifestFile)).toString()) as BackupManifest;
  const mapped = (namespace: string) => restore.spec.namespaceMapping?.[namespace] ?? namespace;
  const included = (namespace: string) =>
    (!restore.spec.includedNamespaces?.length || restore.spec.includedNamespaces.includes(namespace)) &&
    !restore.spec.excludedNamespaces?.includes(namespace);
  const results: RestoreItemResult[] = [];
  const record = (object: KubeObject, resource: string, result: RestoreItemResult["result"], message?: string) =>
    results.push({
      resource,
      namespace: object.metadata.namespace,
      name: object.metadata.name ?? "",
      result,
      ...(message ? { message } : {}),
    });

  for (const namespace of manifest.namespaces.filter((ns) => included(ns.metadata.name ?? ""))) {
    const target = { ...namespace, metadata: { ...namespace.metadata, name: mapped(namespace.metadata.name ?? "") } };
    record(
      target,
      "namespaces",
      await createOrSkip(ctx.client.namespaces as never, target, restore.metadata.name ?? ""),
    );
  }
  const items = manifest.items.filter((item) => included(item.metadata.namespace ?? ""));
  // Claims first, with their data: nothing that mounts one may exist before its data is back.
  let pending = false;
  let warnings = 0;
  const withData = new Set(claimsWithData(manifest).map((c) => `${c.metadata.namespace}/${c.metadata.name}`));
  for (const item of items.filter((i) => i.kind === "PersistentVolumeClaim")) {
    const claim = forRestore(item as PersistentVolumeClaim, mapped(item.metadata.namespace ?? ""));
    const source = claimTag(item.metadata.namespace ?? "", item.metadata.name ?? "");
    const snapshot = withData.has(`${item.metadata.namespace}/${item.metadata.name}`)
      ? taken.find((s) => s.tags?.includes(source))
      : undefined;
    const outcome = await restoreClaim(ctx, restore, claim, repository, snapshot?.id);
    if (outcome === "pending") pending = true;
    else record(claim, "persistentvolumeclaims", outcome);
  }
  if (pending) return false;
  for (const descriptor of backedUpResources.filter((d) => d.kind !== "PersistentVolumeClaim")) {
    for (const item of items.filter((i) => i.kind === descriptor.kind)) {
      const object = forRestore(item, mapped(item.metadata.namespace ?? ""));
      const resource = ctx.client.resource(descriptor) as unknown as RestoredResource;
      const policy = restore.spec.existingResourcePolicy;
      const outcome = await createOrReconcile(
        resource,
        object,
        restore.metadata.name ?? "",
        restoredByAnnotation,
        policy,
      );
      record(object, groupResourceOf(descriptor), outcome.result, outcome.message);
      if (outcome.warning) warnings++;
    }
  }
  const namespaces = new Set(items.map((item) => mapped(item.metadata.namespace ?? "")));
  await removePasswordSecrets(ctx.client, restore.metadata.name ?? "", namespaces);
  const restores = ctx.client.resource(restoreResource);
  const latest = await restores.get(restore.metadata.namespace ?? "", restore.metadata.name ?? "");
  const failed = results.filter((r) => r.result === "Failed").length;
  const status = {
    ...latest.status,
    phase: failed > 0 ? ("PartiallyFailed" as const) : ("Completed" as const),
    completionTimestamp: ctx.now().toISOString(),
    progress: {
      ...latest.status?.progress,
      totalItems: results.length,
      itemsRestored: results.filter((r) => r.result === "Created" || r.result === "Updated").length,
    },
    errors: failed,
    warnings,
    items: results,
  };
  await restores.updateStatus({ ...latest, status });
  return true;
}

/**
 * Creates the object marked as this restore's; one that exists is Skipped, unless this restore made it on an
 * earlier pass (then it is still Created: every pass reports the same results).
 */
async function createOrSkip(
  resource: {
    create(object: KubeObject): Promise<unknown>;
    getByKey(key: { namespace?: string; name: string }): Promise<KubeObject>;
  },
  object: KubeObject,
  owner: string,
): Promise<RestoreItemResult["result"]> {
  object.metadata.annotations = { ...object.metadata.annotations, [restoredByAnnotation]: owner };
  try {
    await resource.create(object);
    return "Created";
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await resource.getByKey({
      namespace: object.metadata.namespace,
      name: object.metadata.name ?? "",
    });
    return existing.metadata.annotations?.[restoredByAnnotation] === owner ? "Created" : "Skipped";
  }
}

async function createOnce(creating: Promise<unknown>): Promise<void> {
  try {
    await creating;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** One step of bringing a claim back: created, then (when it had data) filled by a mover pod. */
async function restoreClaim(
  ctx: RestoreSyncContext,
  restore: Restore,
  claim: PersistentVolumeClaim,
  repository: Repository,
  snapshot: string | undefined,
): Promise<RestoreItemResult["result"] | "pending"> {
  const { client } = ctx;
  const owner = restore.metadata.name ?? "";
  const namespace = claim.metadata.namespace ?? "";
  const name = claim.metadata.name ?? "";
  claim.metadata.annotations = { ...claim.metadata.annotations, [restoredByAnnotation]: owner };
  if (!snapshot) claim.metadata.annotations[dataRestoredAnnotation] = "true";
  await createOnce(client.persistentVolumeClaims.create(claim));
  const existing = await client.persistentVolumeClaims.get(namespace, name);
  if (existing.metadata.annotations?.[restoredByAnnotation] !== owner) return "Skipped";
  if (existing.metadata.annotations?.[dataRestoredAnnotation] === "true") return "Created";
  const names = moverNames(owner, name);
  await createOnce(client.secrets.create(passwordSecret(owner, namespace, repository)));
  await createOnce(client.pods.create(restorePod(owner, claim, repository, snapshot ?? "")));
  const outcome = moverOutcome(await client.pods.get(namespace, names.pod));
  if (outcome === undefined) return "pending";
  if (outcome instanceof Error) throw outcome;
  await client.pods.delete(namespace, names.pod, { gracePeriodSeconds: 0 }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
  // The pod wrote how many bytes the claim holds now; counted after the pod is gone, so once at most.
  await addBytesDone(ctx, restore, Number(outcome.message.trim()) || 0);
  const annotations = { [dataRestoredAnnotation]: "true" };
  await client.persistentVolumeClaims.patch(namespace, name, "merge", { metadata: { annotations } });
  return "pending"; // the next pass records it, once the pod is gone
}

async function addBytesDone(ctx: RestoreSyncContext, restore: Restore, bytes: number): Promise<void> {
  const restores = ctx.client.resource(restoreResource);
  const latest = await restores.get(restore.metadata.namespace ?? "", restore.metadata.name ?? "");
  const progress = { ...latest.status?.progress, bytesDone: (latest.status?.progress?.bytesDone ?? 0) + bytes };
  await restores.updateStatus({ ...latest, status: { ...latest.status, progress } });
}
