// `stowage down`: stops the `up` running on a data dir and undoes what it left on the machine, which Ctrl-C keeps
// on purpose (a second `up` resumes with its volumes mounted): container processes, pods' publish mounts, CSI
// staging mounts, the ext4 filesystems on loop devices and the loop devices themselves. --purge then removes the
// data dir. Every step asks the machine what is there (teardown.ts), so `down` is safe after a crash and a second
// run says there was nothing to do.
import { Option, type Command } from "commander";
import { existsSync, realpathSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { detachLoopDevicesUnder, killContainers, stopUp, unmountUnder, type LoopDevice } from "./teardown.js";

export interface DownReport {
  dataDir: string;
  /** The `up` that was running on the dir, and the signal that ended it. */
  stopped?: { pid: number; signal: "SIGTERM" | "SIGKILL" };
  containerProcesses: number;
  unmounted: string[];
  detached: LoopDevice[];
  removed: boolean;
  /** What could not be undone (a mount still busy, a loop device still open): the report's reason to fail. */
  left: { mounts: Array<{ path: string; error: string }>; loopDevices: LoopDevice[] };
}

export interface DownOptions {
  purge?: boolean;
  /** How long `up` may take to stop on SIGTERM before it is killed; default 30 s. */
  graceMs?: number;
}

/** The data dir as the kernel names it in mountinfo, losetup and /proc/<pid>/fd (symlinks resolved). */
function canonical(dataDir: string): string {
  const absolute = resolve(dataDir);
  return existsSync(absolute) ? realpathSync(absolute) : absolute;
}

/** What only a stowage data dir holds; `down` touches nothing under a dir that has none of them. */
const dataDirMarkers = ["stowage.db", "kubeconfig", "pki", "nodes", "csi"];

/** The dir given is not one `up` made: unmounting and removing everything under it could take anything with it. */
export class NotADataDirError extends Error {
  constructor(readonly dataDir: string) {
    super(
      `${dataDir} is not a stowage data dir (it has none of ${dataDirMarkers.join(", ")}): ` +
        "nothing was stopped, unmounted or removed; give the --data-dir that `stowage up` ran with",
    );
  }
}

export async function down(dataDirArg: string, options: DownOptions = {}): Promise<DownReport> {
  const dataDir = canonical(dataDirArg);
  if (dataDir === "/" || (existsSync(dataDir) && !dataDirMarkers.some((m) => existsSync(join(dataDir, m))))) {
    throw new NotADataDirError(dataDir);
  }
  const stopped = await stopUp(dataDir, options.graceMs ?? 30_000);
  // Containers first: their mount namespaces hold copies of the volumes' mounts and keep loop devices open.
  const containerProcesses = await killContainers(dataDir);
  const mounts = await unmountUnder(dataDir);
  const loops = await detachLoopDevicesUnder(dataDir);
  const left = { mounts: mounts.left, loopDevices: loops.left };
  let removed = false;
  // Never rm -r through a mount point: a volume still mounted there would lose its data, or the rm would fail half-way.
  if (options.purge && left.mounts.length === 0 && existsSync(dataDir)) {
    await rm(dataDir, { recursive: true, force: true });
    removed = true;
  }
  return { dataDir, stopped, containerProcesses, unmounted: mounts.unmounted, detached: loops.detached, removed, left };
}

export function nothingDone(report: DownReport): boolean {
  return (
    !report.stopped &&
    report.containerProcesses === 0 &&
    report.unmounted.length === 0 &&
    report.detached.length === 0 &&
    !report.removed
  );
}

/** What `down` says, a line per thing it cleaned. */
export function describeDown(report: DownReport, purge: boolean): string[] {
  const lines: string[] = [];
  const { stopped, dataDir } = report;
  if (stopped?.signal === "SIGTERM") lines.push(`stopped stowage up (pid ${stopped.pid}) on ${dataDir}`);
  if (stopped?.signal === "SIGKILL") {
    lines.push(`killed stowage up (pid ${stopped.pid}) on ${dataDir}: it did not stop on SIGTERM in time`);
  }
  if (report.containerProcesses > 0) lines.push(`killed ${report.containerProcesses} container process(es)`);
  for (const path of report.unmounted) lines.push(`unmounted ${path}`);
  for (const loop of report.detached) lines.push(`detached ${loop.device} (${loop.file})`);
  if (report.removed) lines.push(`removed ${dataDir}`);
  if (nothingDone(report) && report.left.mounts.length === 0 && report.left.loopDevices.length === 0) {
    const dir = purge ? ", and no data dir to remove" : "";
    lines.push(
      `nothing to do: no stowage up running on ${dataDir}, nothing of it mounted, no loop device backed by it${dir}`,
    );
  }
  return lines;
}

/** Why `down` did not finish, one line per thing left; empty when it did. */
export function describeLeft(report: DownReport, purge: boolean): string[] {
  const lines = report.left.mounts.map((m) => `still mounted: ${m.path}: ${m.error}`);
  for (const loop of report.left.loopDevices) lines.push(`still attached: ${loop.device} (${loop.file}): still open`);
  if (lines.length > 0 && purge && report.left.mounts.length > 0) {
    lines.push(`${report.dataDir} was not removed: something is still mounted in it; run stowage down again`);
  }
  return lines;
}

interface DownFlags {
  dataDir: string;
  purge?: boolean;
  output: "text" | "json";
}

export function registerDown(program: Command): void {
  program
    .command("down")
    .description(
      "stop the `stowage up` running on a data dir and undo what it left on this machine: container processes, " +
        "volume mounts and loop devices (safe after a crash; says when there was nothing to do)",
    )
    .option("--data-dir <dir>", "the data dir of `stowage up`", ".stowage")
    .option("--purge", "also remove the data dir (the store, certificates and every volume's data)")
    .addOption(
      new Option(
        "-o, --output <format>",
        "text, or json: one object saying what was stopped, unmounted, detached, removed",
      )
        .choices(["text", "json"])
        .default("text"),
    )
    .action(async (flags: DownFlags) => {
      const purge = flags.purge ?? false;
      let report: DownReport;
      try {
        report = await down(flags.dataDir, { purge });
      } catch (err) {
        program.error(`error: stowage down: ${(err as Error).message}`, { exitCode: 1 });
      }
      const left = describeLeft(report, purge);
      if (flags.output === "json") {
        const json = { ...report, stopped: report.stopped ?? null, nothingToDo: nothingDone(report) };
        console.log(JSON.stringify(json, null, 2));
      } else for (const line of describeDown(report, purge)) console.log(line);
      if (left.length > 0) program.error(left.map((line) => `error: ${line}`).join("\n"), { exitCode: 1 });
    });
}
