// syncBackup: one Backup, one step at a time. New → InProgress (the location checked) → its objects saved to the
// repository → each bound claim's data through a snapshot and a mover pod → Completed. Every step is found
// again from what exists (restic's tagged snapshots, the mover's objects by name), so a restarted controller
// goes on where it stopped and a sync that runs twice does nothing twice.
import type { Backup } from "../api/backup/types.js";
import type { PersistentVolumeClaim } from "../api/core/types.js";
import type { Client } from "../client/index.js";
import { isAlreadyExists, isNotFound, splitKey } from "../client/index.js";
import type { Log } from "../support/log.js";
import { parseGoDuration } from "../api/backup/common.js";
import { collect, type BackupManifest } from "./objects.js";
import { LocationError, repositoryOf } from "./location.js";
import {
  backupPod,
  moverNames,
  moverOutcome,
  parseSummary,
  passwordSecret,
  snapshotCopy,
  volumeSnapshot,
} from "./mover.js";
import { dumpFile, ensureRepository, saveFile, snapshots, type Repository, type ResticSnapshot } from "./restic.js";
import { backupResource, backupTag, claimTag, manifestTag } from "./resources.js";
import type { PodExecutor } from "./hooks.js";
import { runHookPhase, runPostHooksAfterFailure, snapshotsTaken } from "./hookphase.js";

export interface BackupSyncContext {
  client: Client;
  log: Log;
  now(): Date;
  /** Come back to this key later: a snapshot or a mover pod is still on its way. */
  requeueAfter(key: string, delayMs: number): void;
  /** pods/exec, for the backup hooks; without it a pod's hook fails as unrunnable. */
  exec?: PodExecutor;
}

export const manifestFile = "objects.json";
const finished = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation", "Deleting"]);
const pollMs = 500;

export async function syncBackup(ctx: BackupSyncContext, key: string): Promise<void> {
  const { namespace = "", name } = splitKey(key);
  const backups = ctx.client.resource(backupResource);
  const backup = await backups.get(namespace, name).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  // A deleted backup (phase Deleting) belongs to the GC: running it on would save its objects again after the GC
  // forgot them.
  if (!backup || backup.metadata.deletionTimestamp || finished.has(backup.status?.phase ?? "New")) return;
  let repository: Repository;
  try {
    repository = (await repositoryOf(ctx.client, namespace, backup.spec.storageLocation)).repository;
  } catch (err) {
    if (!(err instanceof LocationError)) throw err;
    await backups.updateStatus({ ...backup, status: { phase: "FailedValidation", validationErrors: [err.message] } });
    return;
  }
  if ((backup.status?.phase ?? "New") === "New") {
    const status = { ...backup.status, phase: "InProgress" as const, startTimestamp: ctx.now().toISOString() };
    await backups.updateStatus({ ...backup, status });
    return; // the status update's watch event brings it back
  }
  try {
    const done = await advance(ctx, backup, repository);
    if (!done) ctx.requeueAfter(key, pollMs);
  } catch (err) {
    ctx.log("backup failed", { backup: key, err: String(err) });
    const latest = await backups.get(namespace, name);
    const status = {
      ...latest.status,
      phase: "Failed" as const,
      failureReason: err instanceof Error ? err.message : String(err),
      completionTimestamp: ctx.now().toISOString(),
      errors: (latest.status?.errors ?? 0) + 1,
    };
    await backups.updateStatus({ ...latest, status });
  }
}

/** One pass over the backup's work; true once it is Completed. */
async function advance(ctx: BackupSyncContext, backup: Backup, repository: Repository): Promise<boolean> {
  const name = backup.metadata.name ?? "";
  await ensureRepository(repository);
  const taken = await snapshots(repository, [backupTag(name)]);
  const manifest = await savedManifest(ctx, backup, repository, taken);
  const claims = backup.spec.snapshotVolumes === false ? [] : claimsWithData(manifest);
  const inRepository = (claim: PersistentVolumeClaim) =>
    taken.some((s) => s.tags?.includes(claimTag(claim.metadata.namespace ?? "", claim.metadata.name ?? "")));
  const namespaces = manifest.namespaces.map((ns) => ns.metadata.name ?? "");
  let pending = false;
  try {
    await runHookPhase(ctx, backup, namespaces, "pre"); // before the first snapshot
    for (const claim of claims) {
      const tag = claimTag(claim.metadata.namespace ?? "", claim.metadata.name ?? "");
      pending =
        (await moveClaim(ctx, backup, claim, repository, [backupTag(name), tag], inRepository(claim))) || pending;
    }
    if (await snapshotsTaken(ctx.client, name, claims, inRepository))
      await runHookPhase(ctx, backup, namespaces, "post");
  } catch (err) {
    await runPostHooksAfterFailure(ctx, backup, namespaces);
    await cleanUpAfterFailure(ctx, name, claims);
    throw err;
  }
  if (pending) return false;
  await removePasswordSecrets(ctx.client, name, new Set(claims.map((c) => c.metadata.namespace ?? "")));
  const backups = ctx.client.resource(backupResource);
  const latest = await backups.get(backup.metadata.namespace ?? "", name);
  const completed = ctx.now();
  const ttl = parseGoDuration(latest.spec.ttl ?? "") ?? 0;
  const started = new Date(latest.status?.startTimestamp ?? completed.toISOString());
  const status = {
    ...latest.status,
    phase: "Completed" as const,
    completionTimestamp: completed.toISOString(),
    expiration: new Date(started.getTime() + ttl).toISOString(),
    progress: { ...latest.status?.progress, itemsBackedUp: latest.status?.progress?.totalItems ?? 0 },
    errors: latest.status?.errors ?? 0,
    warnings: latest.status?.warnings ?? 0,
  };
  await backups.updateStatus({ ...latest, status });
  return true;
}

/** The objects, saved once: a later pass reads back what the first one saved, so every pass backs up the same claims. */
async function savedManifest(
  ctx: BackupSyncContext,
  backup: Backup,
  repository: Repository,
  taken: ResticSnapshot[],
): Promise<BackupManifest> {
  const saved = taken.find((s) => s.tags?.includes(manifestTag));
  if (saved) return JSON.parse((await dumpFile(repository, saved.id, manifestFile)).toString()) as BackupManifest;
  const manifest = await collect(ctx.client, backup);
  const name = backup.metadata.name ?? "";
  await saveFile(repository, manifestFile, Buffer.from(JSON.stringify(manifest)), [backupTag(name), manifestTag]);
  const backups = ctx.client.resource(backupResource);
  const latest = await backups.get(backup.metadata.namespace ?? "", name);
  const total = manifest.namespaces.length + manifest.items.length;
  await backups.updateStatus({ ...latest, status: { ...latest.status, progress: { totalItems: total } } });
  return manifest;
}

export const claimsWithData = (manifest: BackupManifest): PersistentVolumeClaim[] =>
  manifest.items.filter(
    (item): item is PersistentVolumeClaim =>
      item.kind === "PersistentVolumeClaim" && !!(item as PersistentVolumeClaim).spec.volumeName,
  );

/** One step of moving a claim's data; true while it is under way. */
async function moveClaim(
  ctx: BackupSyncContext,
  backup: Backup,
  saved: PersistentVolumeClaim,
  repository: Repository,
  tags: string[],
  inRepository: boolean,
): Promise<boolean> {
  const { client } = ctx;
  const owner = backup.metadata.name ?? "";
  const namespace = saved.metadata.namespace ?? "";
  const names = moverNames(owner, saved.metadata.name ?? "");
  // The mover pod first: restic has the snapshot a moment before the pod is seen Succeeded, and the pod's
  // summary (the bytes it moved) is read before anything is cleaned up.
  let pod = await client.pods.get(namespace, names.pod).catch(absent);
  if (!pod && inRepository) {
    await cleanUp(client, owner, saved);
    return false;
  }
  if (!pod) {
    const claim = await client.persistentVolumeClaims.get(namespace, saved.metadata.name ?? "");
    await createOnce(client.secrets.create(passwordSecret(owner, namespace, repository)));
    await createOnce(client.volumeSnapshots.create(volumeSnapshot(owner, claim, await snapshotClassOf(client, claim))));
    const snapshot = await client.volumeSnapshots.get(namespace, names.snapshot);
    const error = snapshot.status?.error?.message;
    if (error) throw new Error(`snapshot ${namespace}/${names.snapshot}: ${error}`);
    if (!snapshot.status?.readyToUse) return true;
    await createOnce(client.persistentVolumeClaims.create(snapshotCopy(owner, claim)));
    await createOnce(client.pods.create(backupPod(owner, claim, repository, tags)));
    pod = await client.pods.get(namespace, names.pod);
  }
  const outcome = moverOutcome(pod);
  if (outcome === undefined) return true;
  if (outcome instanceof Error) throw outcome;
  // The pod goes first: its summary is counted once at most (never twice if the status update below fails).
  await cleanUp(client, owner, saved);
  const summary = parseSummary(outcome.message);
  const backups = client.resource(backupResource);
  const latest = await backups.get(backup.metadata.namespace ?? "", owner);
  const progress = latest.status?.progress ?? {};
  const status = {
    ...latest.status,
    progress: {
      ...progress,
      bytesDone: (progress.bytesDone ?? 0) + (summary?.total_bytes_processed ?? 0),
      bytesAdded: (progress.bytesAdded ?? 0) + (summary?.data_added ?? 0),
    },
  };
  await backups.updateStatus({ ...latest, status });
  return false;
}

/** The class to snapshot a claim's volume with: its driver's default, else any of its driver's. */
async function snapshotClassOf(client: Client, claim: PersistentVolumeClaim): Promise<string | undefined> {
  const volume = await client.persistentVolumes.get(claim.spec.volumeName ?? "");
  const driver = volume.spec.csi?.driver;
  const classes = (await client.volumeSnapshotClasses.list()).items.filter((c) => c.driver === driver);
  const isDefault = (c: (typeof classes)[number]) =>
    c.metadata.annotations?.["snapshot.storage.kubernetes.io/is-default-class"] === "true";
  return (classes.find(isDefault) ?? classes[0])?.metadata.name;
}

async function createOnce(creating: Promise<unknown>): Promise<void> {
  try {
    await creating;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

const absent = (err: unknown): undefined => {
  if (!isNotFound(err)) throw err;
  return undefined;
};

const ignoreNotFound = (err: unknown) => {
  if (!isNotFound(err)) throw err;
};

/** Removes what moving a claim made; nothing is left when it is done. */
export async function cleanUp(client: Client, owner: string, claim: PersistentVolumeClaim): Promise<void> {
  const namespace = claim.metadata.namespace ?? "";
  const names = moverNames(owner, claim.metadata.name ?? "");
  await client.pods.delete(namespace, names.pod, { gracePeriodSeconds: 0 }).catch(ignoreNotFound);
  await client.persistentVolumeClaims.delete(namespace, names.copy).catch(ignoreNotFound);
  await client.volumeSnapshots.delete(namespace, names.snapshot).catch(ignoreNotFound);
}

/**
 * A failed backup leaves nothing behind either: its snapshots, temporary claims, mover pods and the copies of the
 * repository password are removed before it is marked Failed (a failure here is logged; the backup fails anyway).
 */
async function cleanUpAfterFailure(ctx: BackupSyncContext, owner: string, claims: PersistentVolumeClaim[]) {
  try {
    for (const claim of claims) await cleanUp(ctx.client, owner, claim);
    await removePasswordSecrets(ctx.client, owner, new Set(claims.map((c) => c.metadata.namespace ?? "")));
  } catch (err) {
    ctx.log("cleaning up after a failed backup", { backup: owner, err: String(err) });
  }
}

/** The copies of the repository password a backup or restore put beside the claims it moved. */
export async function removePasswordSecrets(client: Client, owner: string, namespaces: Set<string>): Promise<void> {
  for (const namespace of namespaces) {
    await client.secrets.delete(namespace, moverNames(owner, "").secret).catch(ignoreNotFound);
  }
}
