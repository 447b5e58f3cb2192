// syncSchedule: one Schedule, one round, as Velero's schedule controller: re-validate the cron expression (phase
// Enabled or FailedValidation), and when the next run after status.lastBackup (or, for a new schedule, after its
// creation: Velero no longer backs up the moment a schedule is made) has passed, create a Backup from the template
// named `<schedule>-<YYYYMMDDHHMMSS>` and labelled with the schedule's name, then record status.lastBackup. Missed
// runs are not caught up; a run is skipped while a backup of the schedule is still New or InProgress. Paused
// schedules are left alone.
import type { Backup, Schedule, ScheduleStatus } from "../api/backup/types.js";
import { nextRunTime, backupScheduleError } from "../api/backup/cron.js";
import type { Client, Lister } from "../client/index.js";
import { isAlreadyExists, isNotFound, splitKey } from "../client/index.js";
import type { Log } from "../support/log.js";
import { backupResource, scheduleNameLabel, scheduleResource } from "./resources.js";

export interface ScheduleSyncContext {
  client: Client;
  /** The backups in cache: whether one of the schedule's is still running. */
  backups: Lister<Backup>;
  log: Log;
  now(): Date;
  /** Come back to this key when the next run is due. */
  requeueAfter(key: string, delayMs: number): void;
}

/** Velero's Schedule.TimestampedName: the schedule's name and the run's UTC time, to the second. */
export function timestampedName(schedule: string, time: Date): string {
  return `${schedule}-${time.toISOString().replace(/[-T:]/g, "").slice(0, 14)}`;
}

/** The Backup a run creates: the template's spec, the schedule's labels and annotations, and its name label. */
export function backupFor(schedule: Schedule, time: Date): Backup {
  const name = schedule.metadata.name ?? "";
  const owner = schedule.spec.useOwnerReferencesInBackup
    ? {
        ownerReferences: [
          {
            apiVersion: schedule.apiVersion,
            kind: "Schedule",
            name,
            uid: schedule.metadata.uid ?? "",
            controller: true,
          },
        ],
      }
    : {};
  return {
    apiVersion: "backup.stowage.dev/v1",
    kind: "Backup",
    metadata: {
      name: timestampedName(name, time),
      namespace: schedule.metadata.namespace,
      labels: { ...schedule.metadata.labels, [scheduleNameLabel]: name },
      ...(schedule.metadata.annotations ? { annotations: { ...schedule.metadata.annotations } } : {}),
      ...owner,
    },
    spec: structuredClone(schedule.spec.template),
  };
}

/** Velero's getNextRunTime: the run after the last backup (or the schedule's creation), and whether it is due. */
export function nextRun(schedule: Schedule, now: Date): { due: boolean; at: Date } {
  const last = new Date(schedule.status?.lastBackup ?? schedule.metadata.creationTimestamp ?? now.toISOString());
  const at = nextRunTime(schedule.spec.schedule, last);
  return { due: now.getTime() > at.getTime(), at };
}

const running = new Set(["", "New", "InProgress"]);

export async function syncSchedule(ctx: ScheduleSyncContext, key: string): Promise<void> {
  const { namespace = "", name } = splitKey(key);
  const schedules = ctx.client.resource(scheduleResource);
  const schedule = await schedules.get(namespace, name).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw err;
  });
  if (!schedule || schedule.spec.paused) return;
  // Validated again even when Enabled, as Velero does: the expression may have been accepted by an older server.
  const problem = backupScheduleError(schedule.spec.schedule);
  const status: ScheduleStatus = problem
    ? { ...schedule.status, phase: "FailedValidation", validationErrors: [`invalid schedule: ${problem}`] }
    : { ...schedule.status, phase: "Enabled" };
  if (!problem) delete status.validationErrors;
  if (status.phase !== schedule.status?.phase) {
    await schedules.updateStatus({ ...schedule, status });
    return; // the status update's watch event brings it back
  }
  if (problem) return;
  const now = ctx.now();
  const { due, at } = nextRun(schedule, now);
  if (!due) {
    ctx.requeueAfter(key, at.getTime() - now.getTime() + 1);
    return;
  }
  // No overlapping runs: the backup still going wakes this schedule when it finishes (controller.ts).
  const mine = ctx.backups.list({ namespace, labels: { [scheduleNameLabel]: name } });
  if (mine.some((backup) => running.has(backup.status?.phase ?? ""))) return;
  try {
    await ctx.client.resource(backupResource).create(backupFor(schedule, now));
  } catch (err) {
    // The same second's backup exists already: a retry after the create went through but the status did not.
    if (!isAlreadyExists(err)) throw err;
  }
  ctx.log("schedule is due; submitted its backup", { schedule: key, backup: timestampedName(name, now) });
  await schedules.updateStatus({
    ...schedule,
    status: { ...schedule.status, lastBackup: now.toISOString().replace(/\.\d{3}Z$/, "Z") },
  });
}
