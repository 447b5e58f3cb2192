// The backup.stowage.dev kinds as the client reaches them, and the names the data movers share.
import type { ResourceDescriptor } from "../client/index.js";
import type { Backup, BackupStorageLocation, Restore, Schedule } from "../api/backup/types.js";

const group = "backup.stowage.dev";
export const backupStorageLocationResource: ResourceDescriptor<BackupStorageLocation, true> = {
  group,
  version: "v1",
  kind: "BackupStorageLocation",
  plural: "backupstoragelocations",
  namespaced: true,
};
export const backupResource: ResourceDescriptor<Backup, true> = {
  group,
  version: "v1",
  kind: "Backup",
  plural: "backups",
  namespaced: true,
};
export const restoreResource: ResourceDescriptor<Restore, true> = {
  group,
  version: "v1",
  kind: "Restore",
  plural: "restores",
  namespaced: true,
};
export const scheduleResource: ResourceDescriptor<Schedule, true> = {
  group,
  version: "v1",
  kind: "Schedule",
  plural: "schedules",
  namespaced: true,
};

/** On every Backup a Schedule made (Velero's velero.io/schedule-name): which schedule's it is. */
export const scheduleNameLabel = "backup.stowage.dev/schedule-name";
/** On every object a data mover makes (snapshot, temporary claim, pod, password Secret): whose it is. */
export const moverLabel = "backup.stowage.dev/data-mover";
/** restic tags: which backup a restic snapshot belongs to, and what it holds. */
export const backupTag = (backup: string) => `backup=${backup}`;
export const manifestTag = "objects";
export const claimTag = (namespace: string, claim: string) => `claim=${namespace}/${claim}`;
