// CPU time of processes, for figures on a loaded machine: a rate depends on what else runs, the CPU a piece of work
// took much less so, and it says which process the time went to.
import { readFileSync } from "node:fs";

/** The kernel's clock ticks per second (USER_HZ): 100 on every Linux that Node runs on. */
const ticksPerSecond = 100;

/** CPU time (user + system, every thread) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number | "self" = "self"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // the command name, in parentheses, may hold spaces: the fields counted from 3 begin after its last ")"
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [utime, stime] = [Number(fields[11]), Number(fields[12])];
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`no CPU times in /proc/${pid}/stat`);
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/** CPU ms of each named group of processes: take a reading before a phase and one after, and subtract. */
export function cpuReading(groups: Record<string, (number | "self")[]>): Record<string, number> {
  const reading: Record<string, number> = {};
  for (const [name, pids] of Object.entries(groups)) {
    reading[name] = pids.reduce<number>((sum, pid) => sum + cpuMs(pid), 0);
  }
  return reading;
}

/** CPU ms per operation of each group between two readings, to 0.01 ms. */
export function cpuPerOperation(
  before: Record<string, number>,
  after: Record<string, number>,
  operations: number,
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const name of Object.keys(after)) {
    result[name] = Math.round(((after[name] - (before[name] ?? 0)) / operations) * 100) / 100;
  }
  return result;
}
