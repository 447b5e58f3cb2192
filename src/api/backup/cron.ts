// A Schedule's cron expression as Velero reads it (robfig/cron's ParseStandard): five fields or a descriptor
// (@hourly, @daily, …) through the CronJob's parser, plus robfig's `@every <duration>` (a Go duration, at least
// one second, whole seconds), which cron-parser does not know. Times are UTC, as Velero's server runs.
import { ScheduleError, nextScheduleTime, scheduleError } from "../batch/schedule.js";
import { parseGoDuration } from "./common.js";

const every = /^@every\s+(\S+)$/;

/** robfig/cron's Every: the interval in whole seconds, never under one; undefined when `text` is no @every. */
function everyInterval(text: string): number | undefined {
  const match = every.exec(text.trim());
  if (!match) return undefined;
  const ms = parseGoDuration(match[1]);
  if (ms === undefined)
    throw new ScheduleError(`failed to parse duration ${text.trim()}: invalid duration "${match[1]}"`);
  return Math.max(1000, ms - (ms % 1000));
}

/** The expression's problem, worded as robfig/cron, or undefined when it parses. */
export function backupScheduleError(text: string): string | undefined {
  try {
    if (everyInterval(text) !== undefined) return undefined;
  } catch (err) {
    if (err instanceof ScheduleError) return err.message;
    throw err;
  }
  return scheduleError(text);
}

/** The first run after `after` (robfig's Schedule.Next); throws ScheduleError for a bad expression. */
export function nextRunTime(text: string, after: Date): Date {
  const interval = everyInterval(text);
  if (interval === undefined) return nextScheduleTime(text, undefined, after);
  // robfig: the interval from `after` with its sub-second part dropped.
  return new Date(after.getTime() - (after.getTime() % 1000) + interval);
}
