// Deleting a backup and its data, as Velero's GC controller and DeleteBackupRequests do, seen from outside: a
// finished Backup gets the finalizer below; one whose status.expiration has passed is deleted; a deleted one (by
// the GC, `stowage backup delete` or `kubectl delete`) shows phase Deleting while its restic snapshots (the
// objects and every claim's data) are forgotten and the repository pruned, so data no other backup references goes
// too; then the finalizer comes off and the object is gone. A read-only location's data is never touched (another
// stowage may own it), as Velero refuses to delete from one, and its backups do not expire here (Velero's GC skips them).
import type { Backup, Restore } from "../api/backup/types.js";
import type { Client, Lister } from "../client/index.js";
import { isNotFound, splitKey } from "../client/index.js";
import type { Log } from "../support/log.js";
import { LocationError, repositoryOf } from "./location.js";
import { forget, snapshots } from "./restic.js";
import { backupResource, backupTag } from "./resources.js";

/** Holds a Backup until its data is gone from the location. */
export const backupDataFinalizer = "backup.stowage.dev/backup-data";

export interface BackupDeletionContext {
  client: Client;
  backups: Lister<Backup>;
  restores: Lister<Restore>;
  log: Log;
  now(): Date;
  requeueAfter(key: string, delayMs: number): void;
}

const finished = new Set(["Completed", "PartiallyFailed", "Failed", "FailedValidation"]);
/** Never wait longer than this for an expiration: a timer past 2^31 ms would fire at once. */
const maxWaitMs = 3_600_000;
/** While a data mover works in the location: prune takes restic's exclusive lock, which would fail the mover. */
const busyRetryMs = 2_000;

export async function syncBackupDeletion(ctx: BackupDeletionContext, key: string): Promise<void> {
  const { namespace = "", name } = splitKey(key);
  const backups = ctx.client.resource(backupResource);
  const backup = await backups.get(namespace, name).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!backup) return;
  const held = backup.metadata.finalizers?.includes(backupDataFinalizer) ?? false;
  if (backup.metadata.deletionTimestamp) {
    if (held) await deleteData(ctx, backup, key);
    return;
  }
  // Only a finished backup gets the finalizer: the backup's own sync writes its status until then, and a
  // backup deleted while it runs is Velero's case too (its data mover's leftovers are the backup sync's to clean).
  if (!finished.has(backup.status?.phase ?? "New")) return;
  if (!held) {
    const finalizers = [...(backup.metadata.finalizers ?? []), backupDataFinalizer];
    await backups.update({ ...backup, metadata: { ...backup.metadata, finalizers } });
    return;
  }
  const expiration = backup.status?.expiration;
  if (!expiration) return;
  const left = new Date(expiration).getTime() - ctx.now().getTime();
  if (left > 0) {
    ctx.requeueAfter(key, Math.min(left + 1, maxWaitMs));
    return;
  }
  // Velero's GC leaves a read-only location's backups alone: they are another cluster's to expire.
  if (await readOnlyLocation(ctx, backup)) {
    ctx.log("backup cannot be garbage-collected: its location is read-only", { backup: key });
    ctx.requeueAfter(key, maxWaitMs);
    return;
  }
  ctx.log("backup has expired; deleting it", { backup: key, expiration });
  await backups.delete(namespace, name, { preconditions: { uid: backup.metadata.uid } }).catch((err: unknown) => {
    if (!isNotFound(err)) throw err;
  });
}

/** Forgets the backup's restic snapshots and prunes, then lets the object go. Safe to repeat: forget finds none. */
async function deleteData(ctx: BackupDeletionContext, backup: Backup, key: string): Promise<void> {
  const namespace = backup.metadata.namespace ?? "";
  const name = backup.metadata.name ?? "";
  const backups = ctx.client.resource(backupResource);
  if (backup.status?.phase !== "Deleting") {
    await backups.updateStatus({ ...backup, status: { ...backup.status, phase: "Deleting" } });
    return; // the status update's watch event brings it back
  }
  if (moverBusy(ctx, namespace)) {
    ctx.requeueAfter(key, busyRetryMs);
    return;
  }
  try {
    const { location, repository } = await repositoryOf(ctx.client, namespace, backup.spec.storageLocation);
    if (location.spec.accessMode === "ReadOnly") {
      ctx.log("backup storage location is read-only; its data is kept", { backup: key });
    } else {
      const ids = (await snapshots(repository, [backupTag(name)])).map((snapshot) => snapshot.id);
      await forget(repository, ids);
      ctx.log("deleted the backup's data", { backup: key, snapshots: ids.length });
    }
  } catch (err) {
    // Nothing to reach the data with (the location or its password is gone): the object goes, as Velero's does.
    if (!(err instanceof LocationError)) throw err;
    ctx.log("backup's location is gone; deleting the backup object only", { backup: key, err: err.message });
  }
  const finalizers = (backup.metadata.finalizers ?? []).filter((f) => f !== backupDataFinalizer);
  const latest = await backups.get(namespace, name);
  await backups.update({ ...latest, metadata: { ...latest.metadata, finalizers } });
}

async function readOnlyLocation(ctx: BackupDeletionContext, backup: Backup): Promise<boolean> {
  try {
    const { location } = await repositoryOf(ctx.client, backup.metadata.namespace ?? "", backup.spec.storageLocation);
    return location.spec.accessMode === "ReadOnly";
  } catch (err) {
    if (err instanceof LocationError) return false;
    throw err;
  }
}

const moving = new Set(["New", "InProgress"]);

/** Whether a backup or restore in the namespace is moving data (its restic would fail on prune's lock). */
function moverBusy(ctx: BackupDeletionContext, namespace: string): boolean {
  const busy = (phase: string | undefined) => phase !== undefined && moving.has(phase);
  return (
    ctx.backups.list({ namespace }).some((b) => b.status?.phase === "InProgress") ||
    ctx.restores.list({ namespace }).some((r) => busy(r.status?.phase))
  );
}
