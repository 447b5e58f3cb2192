// A CronJob's schedule (upstream robfig/cron ParseStandard and the CronJob controller's time zone handling), on the
// cron-parser library: five fields or a descriptor (@hourly, @daily, …), evaluated in spec.timeZone (default UTC,
// where upstream uses the controller-manager's local zone).
import { CronExpressionParser } from "cron-parser";

export class ScheduleError extends Error {}

/** upstream time.LoadLocation's answer for a zone name: undefined when known, else its error text. */
export function timeZoneError(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return undefined;
  } catch {
    return `unknown time zone ${timeZone}`;
  }
}

/** Parses a schedule; throws ScheduleError worded as robfig/cron. */
function parse(schedule: string, timeZone: string | undefined, currentDate: Date) {
  const text = schedule.trim();
  if (!text.startsWith("@")) {
    const fields = text.split(/\s+/).filter(Boolean);
    if (fields.length !== 5) {
      throw new ScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
    }
  }
  try {
    return CronExpressionParser.parse(text, { currentDate, tz: timeZone ?? "UTC" });
  } catch (err) {
    throw new ScheduleError(err instanceof Error ? err.message : String(err));
  }
}

/** The schedule's problem, or undefined when it parses. */
export function scheduleError(schedule: string): string | undefined {
  try {
    parse(schedule, undefined, new Date());
    return undefined;
  } catch (err) {
    if (err instanceof ScheduleError) return err.message;
    throw err;
  }
}

/** The first scheduled time strictly after `after`. */
export function nextScheduleTime(schedule: string, timeZone: string | undefined, after: Date): Date {
  return parse(schedule, timeZone, after).next().toDate();
}

/**
 * upstream mostRecentScheduleTime: the latest scheduled time in (earliest, now], and how many were missed on the
 * way (a controller that was down does not start them all: it starts the most recent one).
 */
export function mostRecentScheduleTime(
  schedule: string,
  timeZone: string | undefined,
  earliest: Date,
  now: Date,
): { time?: Date; missed: number } {
  const expression = parse(schedule, timeZone, earliest);
  let time: Date | undefined;
  let missed = 0;
  for (;;) {
    const next = expression.next().toDate();
    if (next.getTime() > now.getTime()) return { time, missed };
    time = next;
    missed++;
    // upstream gives up counting past 100 misses; the most recent one is what matters.
    if (missed > 100) return { time: parse(schedule, timeZone, now).prev().toDate(), missed };
  }
}
