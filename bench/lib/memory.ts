// Process memory for scale figures: the kernel's peak resident set (VmHWM), of this process or of a child.
import { readFileSync } from "node:fs";

/** Peak RSS in MiB of a process (default: this one), from /proc/<pid>/status. */
export function peakRssMiB(pid: number | "self" = "self"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Math.round(Number(kb) / 1024);
}
