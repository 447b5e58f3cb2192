// The steps of `stowage down`, each asking the machine (not a record `up` kept) what is left of a data dir, so that
// they work after a clean stop, after a SIGKILL and after a half-finished earlier `down`, and do nothing when
// nothing is left: the `up` that owns the store, the containers of runtime "process", the mounts under the dir
// (pod publish mounts, CSI staging mounts, ext4 loop mounts, tmpfs for secrets) and the loop devices backed by its
// files.
import { execFile } from "node:child_process";
import { readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { listMounts, unmount } from "../support/mount.js";
import { killOrphanedContainers } from "../node/runtime/process-restart.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid in the store's lock file, when that process still has the store open (pids are reused after a crash). */
export async function upProcessOf(dataDir: string): Promise<number | undefined> {
  const store = join(dataDir, "stowage.db");
  const text = await readFile(`${store}.lock`, "utf8").catch(() => undefined);
  const pid = Number.parseInt(text ?? "", 10);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  for (const fd of fds) {
    if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "")) === store) return pid;
  }
  return undefined;
}

/** Gone, or a zombie its parent has not reaped yet (it holds nothing any more). */
async function isGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  return stat === undefined || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
}

async function untilGone(pid: number, deadline: number): Promise<boolean> {
  while (!(await isGone(pid))) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/**
 * Stops the `up` that owns the data dir's store as Ctrl-C does (SIGTERM: its components stop in order), and kills
 * it when it has not stopped within `graceMs`. Returns how it ended, or undefined when none was running.
 */
export async function stopUp(
  dataDir: string,
  graceMs: number,
): Promise<{ pid: number; signal: "SIGTERM" | "SIGKILL" } | undefined> {
  const pid = await upProcessOf(dataDir);
  if (pid === undefined) return undefined;
  const send = (signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  };
  send("SIGTERM");
  if (await untilGone(pid, Date.now() + graceMs)) return { pid, signal: "SIGTERM" };
  send("SIGKILL");
  if (await untilGone(pid, Date.now() + 10_000)) return { pid, signal: "SIGKILL" };
  throw new Error(`stowage up (pid ${pid}) did not exit after SIGKILL`);
}

/** Kills the containers runtime "process" left running under each node's root dir; returns how many processes. */
export async function killContainers(dataDir: string): Promise<number> {
  let killed = 0;
  const nodes = await readdir(join(dataDir, "nodes")).catch(() => [] as string[]);
  for (const node of nodes) killed += await killOrphanedContainers(join(dataDir, "nodes", node));
  return killed;
}

/** Mount points at or below `dir`, the latest mounted first (a mount on top of another comes off before it). */
async function mountsUnder(dir: string): Promise<string[]> {
  const prefix = `${dir}/`;
  const points = (await listMounts()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(prefix));
  return [...new Set(points.reverse())];
}

/**
 * Unmounts everything at or below `dir`: pods' publish mounts first, then staging mounts and the filesystems on
 * loop devices beneath them. Returns what was unmounted and what is still mounted (busy).
 */
export async function unmountUnder(
  dir: string,
): Promise<{ unmounted: string[]; left: Array<{ path: string; error: string }> }> {
  const unmounted: string[] = [];
  const errors = new Map<string, string>();
  for (let pass = 0; pass < 5; pass++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) break;
    errors.clear();
    for (const point of points) {
      try {
        await unmount(point);
        if (!unmounted.includes(point)) unmounted.push(point);
      } catch (err) {
        errors.set(point, (err as Error).message);
      }
    }
    if (errors.size === 0) continue;
    await sleep(200); // a process closing a file in it a moment ago: try again
  }
  const left = (await mountsUnder(dir)).map((path) => ({ path, error: errors.get(path) ?? "still mounted" }));
  return { unmounted, left };
}

export interface LoopDevice {
  device: string;
  file: string;
}

function parseLoopDevices(json: string): LoopDevice[] {
  if (!json.trim()) return []; // no loop devices at all: losetup prints nothing
  const parsed: unknown = JSON.parse(json);
  const list = (parsed as { loopdevices?: unknown }).loopdevices;
  if (!Array.isArray(list)) return [];
  const devices: LoopDevice[] = [];
  for (const entry of list as unknown[]) {
    const { name, "back-file": backFile } = (entry ?? {}) as { name?: unknown; "back-file"?: unknown };
    if (typeof name !== "string" || typeof backFile !== "string") continue;
    // A backing file removed while attached shows as "<path> (deleted)".
    devices.push({ device: name, file: backFile.replace(/ \(deleted\)$/, "") });
  }
  return devices;
}

/** Loop devices whose backing file is below `dir` (the block driver's volumes). */
export async function loopDevicesUnder(dir: string): Promise<LoopDevice[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("losetup", ["--json", "--list", "--output", "NAME,BACK-FILE"]));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return []; // no util-linux losetup: no loop devices of ours
    throw err;
  }
  return parseLoopDevices(stdout).filter((d) => d.file.startsWith(`${dir}/`));
}

/** Detaches every loop device backed by a file below `dir`. */
export async function detachLoopDevicesUnder(dir: string): Promise<{ detached: LoopDevice[]; left: LoopDevice[] }> {
  const detached: LoopDevice[] = [];
  for (const loop of await loopDevicesUnder(dir)) {
    try {
      await run("losetup", ["--detach", loop.device]);
      detached.push(loop);
    } catch {
      // reported below as left
    }
  }
  // A device still open somewhere is only marked to clear on its last close: it counts as left until it is gone.
  const deadline = Date.now() + 5000;
  let left = await loopDevicesUnder(dir);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = await loopDevicesUnder(dir);
  }
  return { detached: detached.filter((d) => !left.some((l) => l.device === d.device)), left };
}
