// Process memory for scale figures: the kernel's peak resident set (VmHWM), of this process or of a child.
import { readFileSync, writeFileSync } from "node:fs";

/** Peak RSS in MiB of a process (default: this one), from /proc/<pid>/status. */
export function peakRssMiB(pid: number | "self" = "self"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Math.round(Number(kb) / 1024);
}

/**
 * Starts a new peak: the kernel's VmHWM of the process becomes its current RSS (writing 5 to clear_refs, Linux ≥ 4.0),
 * so a figure can give the peak of the measured phase apart from a setup that ran in the same process. Memory the
 * setup left behind still counts: RSS that glibc or V8 has not given back is part of the new peak.
 */
export function resetPeakRss(pid: number | "self" = "self"): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}
