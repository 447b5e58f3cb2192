// The backup controller: Backups and Restores, each through its own work queue; the mover pods they start wake
// them when they finish. Schedules (schedule.ts) and deleting expired or deleted backups with their data (gc.ts)
// have queues of their own. Wiring only: the steps are in backup.ts, restore.ts, schedule.ts and gc.ts.
import type { Backup } from "../api/backup/types.js";
import type { Pod } from "../api/core/types.js";
import type { Client, InformerFactory, StartLoop } from "../client/index.js";
import { WorkQueue, keyOf, removeWhenAborted, stopped } from "../client/index.js";
import type { Log } from "../support/log.js";
import { syncBackup } from "./backup.js";
import type { PodExecutor } from "./hooks.js";
import { syncRestore } from "./restore.js";
import { syncSchedule } from "./schedule.js";
import { syncBackupDeletion } from "./gc.js";
import { backupResource, moverLabel, restoreResource, scheduleNameLabel, scheduleResource } from "./resources.js";

export interface BackupControllerContext {
  client: Client;
  informers: InformerFactory;
  log: Log;
  workers?: number;
  /** pods/exec for the backup hooks (cli makes it; tests without pods leave it out). */
  exec?: PodExecutor;
}

export const startBackupController: StartLoop<BackupControllerContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const backups = informers.informerFor(client.resource(backupResource));
  const restores = informers.informerFor(client.resource(restoreResource));
  const backupQueue = new WorkQueue<string>({ name: "backup", log });
  const restoreQueue = new WorkQueue<string>({ name: "restore", log });
  const schedules = informers.informerFor(client.resource(scheduleResource));
  const scheduleQueue = new WorkQueue<string>({ name: "schedule", log });
  const deletionQueue = new WorkQueue<string>({ name: "backup-deletion", log });
  // A schedule's backup that finishes lets the schedule run again (no overlapping runs).
  const wakeSchedule = (backup: Backup) => {
    const schedule = backup.metadata.labels?.[scheduleNameLabel];
    if (schedule) scheduleQueue.add(`${backup.metadata.namespace ?? ""}/${schedule}`);
  };
  // A mover pod is named for its backup or restore (label value); either queue ignores a name it does not hold.
  const wakeOwner = (pod: Pod) => {
    const owner = pod.metadata.labels?.[moverLabel];
    if (!owner) return;
    for (const key of backups.keys()) if (key.endsWith(`/${owner}`)) backupQueue.add(key);
    for (const key of restores.keys()) if (key.endsWith(`/${owner}`)) restoreQueue.add(key);
  };
  removeWhenAborted(signal, [
    backups.onChange((backup) => backupQueue.add(keyOf(backup))),
    backups.onChange((backup) => deletionQueue.add(keyOf(backup))),
    backups.onChange(wakeSchedule),
    schedules.onChange((schedule) => scheduleQueue.add(keyOf(schedule))),
    restores.onChange((restore) => restoreQueue.add(keyOf(restore))),
    informers.pods.onChange(wakeOwner),
  ]);
  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  const now = () => new Date();
  const run = (queue: WorkQueue<string>, sync: (key: string) => Promise<void>) =>
    queue.work(
      signal,
      async (key) => {
        try {
          await sync(key);
          queue.forget(key);
        } catch (err) {
          log("backup controller: sync failed; will retry", { key, err: String(err) });
          queue.addRateLimited(key);
        }
      },
      ctx.workers ?? 2,
    );
  const backupSync = {
    client,
    log,
    now,
    exec: ctx.exec,
    requeueAfter: (key: string, ms: number) => backupQueue.addAfter(key, ms),
  };
  const restoreSync = { client, log, now, requeueAfter: (key: string, ms: number) => restoreQueue.addAfter(key, ms) };
  const scheduleSync = {
    client,
    log,
    now,
    backups,
    requeueAfter: (k: string, ms: number) => scheduleQueue.addAfter(k, ms),
  };
  const deletionSync = {
    ...{ client, log, now, backups, restores },
    requeueAfter: (key: string, ms: number) => deletionQueue.addAfter(key, ms),
  };
  const done = Promise.all([
    run(backupQueue, (key) => syncBackup(backupSync, key)),
    run(restoreQueue, (key) => syncRestore(restoreSync, key)),
    run(scheduleQueue, (key) => syncSchedule(scheduleSync, key)),
    run(deletionQueue, (key) => syncBackupDeletion(deletionSync, key)),
  ]).then(() => undefined);
  return { done };
};
