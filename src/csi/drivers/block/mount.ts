// Mounts, read from and made by the real tools: findmnt is the truth about what is mounted where, so every
// Node call can check the kernel's state instead of trusting a record that a crash may have left stale.
import { run, CommandError } from "./exec.js";

export interface MountInfo {
  /** Where it is mounted. */
  target: string;
  /** What is mounted: "/dev/loop3", or "/dev/loop3[/sub]" / "udev[/loop3]" for bind mounts of part of a tree. */
  source: string;
  fstype: string;
  /** Per-mount (VFS) options: "rw,relatime", "ro,nosuid,…". */
  vfsOptions: string[];
  /** Filesystem (superblock) options: "rw", "errors=remount-ro", …. */
  fsOptions: string[];
}

interface FindmntJson {
  filesystems?: Array<{
    target: string;
    source: string;
    fstype: string;
    "vfs-options": string;
    "fs-options": string;
    children?: FindmntJson["filesystems"];
  }>;
}

const columns = "TARGET,SOURCE,FSTYPE,VFS-OPTIONS,FS-OPTIONS";

async function findmnt(args: string[]): Promise<MountInfo[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("findmnt", ["--json", "--list", "--output", columns, ...args]));
  } catch (err) {
    // findmnt exits 1 when nothing matches.
    if (err instanceof CommandError && err.exitCode === 1 && err.stderr.trim() === "") return [];
    throw err;
  }
  if (stdout.trim() === "") return [];
  const parsed = JSON.parse(stdout) as FindmntJson;
  return (parsed.filesystems ?? []).map((fs) => ({
    target: fs.target,
    source: fs.source,
    fstype: fs.fstype,
    vfsOptions: (fs["vfs-options"] ?? "").split(",").filter(Boolean),
    fsOptions: (fs["fs-options"] ?? "").split(",").filter(Boolean),
  }));
}

/** The mounts stacked on exactly `target` (empty when it is not a mount point), topmost last. */
export function mountsAt(target: string): Promise<MountInfo[]> {
  return findmnt(["--mountpoint", target]);
}

/** Every mount of a block device, including bind mounts of it (findmnt --source matches both). */
export function mountsOfDevice(device: string): Promise<MountInfo[]> {
  return findmnt(["--source", device]);
}

export async function isMountPoint(target: string): Promise<boolean> {
  return (await mountsAt(target)).length > 0;
}

/** Mounts a filesystem on `device` at `target` (a directory that exists). */
export async function mountDevice(device: string, target: string, fstype: string, options: string[]): Promise<void> {
  const args = ["-t", fstype];
  if (options.length > 0) args.push("-o", options.join(","));
  await run("mount", [...args, device, target]);
}

/**
 * Bind-mounts `source` (a directory, or a device node for raw block) onto `target`. A read-only bind needs a
 * second remount: the kernel ignores "ro" on the initial MS_BIND.
 */
export async function bindMount(
  source: string,
  target: string,
  readonly: boolean,
  options: string[] = [],
): Promise<void> {
  await run("mount", ["--bind", source, target]);
  const remount = [...(readonly ? ["ro"] : []), ...options];
  if (remount.length > 0) {
    try {
      await run("mount", ["-o", ["remount", "bind", ...remount].join(","), target]);
    } catch (err) {
      await run("umount", [target]).catch(() => undefined); // never leave a writable mount the caller asked to be read-only
      throw err;
    }
  }
}

/** Unmounts everything stacked on `target`; a path that is not mounted (or does not exist) is already done. */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 16 && (await isMountPoint(target)); i++) {
    await run("umount", [target]);
  }
}
