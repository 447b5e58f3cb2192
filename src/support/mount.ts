// Real mounts for CSI node services (we run as root; DESIGN.md "Real protocols and real storage"). Bind mounts and
// tmpfs are mount(2)/umount2(2) calls (mountsyscalls.ts); util-linux's mount/umount remain the fallback where the
// syscalls cannot be called. What is mounted where is asked of the kernel, never remembered, so a restarted driver
// sees exactly what the kernel has: statx says whether a path is a mount point, and /proc/self/mountinfo (whose
// size grows with every mount on the node) is read only when more than that is needed.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { MS_BIND, UMOUNT_NOFOLLOW, mountSyscalls } from "./mountsyscalls.js";
import { UnsafePathError, type OpenedPath } from "./openpath.js";

const run = promisify(execFile);

export class MountError extends Error {
  override name = "MountError";
}

export interface MountInfo {
  /** Where it is mounted. */
  mountPoint: string;
  /** The path inside the source filesystem that is mounted (for a bind mount, the bound directory). */
  root: string;
  /** Per-mount options: "ro" or "rw" first. */
  options: string[];
  fsType: string;
  source: string;
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
const unescape = (field: string) =>
  field.includes("\\")
    ? field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)))
    : field;

/** Every mount this process can see, in mount order (the last entry for a path is the visible one). */
export async function listMounts(): Promise<MountInfo[]> {
  return readMounts();
}

function readMounts(): MountInfo[] {
  // A /proc file is generated in memory, never waits on a disk: reading it synchronously costs half the CPU of
  // the threadpool round trips, and this runs several times per publish.
  const text = readFileSync("/proc/self/mountinfo", "utf8");
  const mounts: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const fields = line.split(" ");
    const dash = fields.indexOf("-");
    if (dash < 6) continue;
    mounts.push({
      root: unescape(fields[3]),
      mountPoint: unescape(fields[4]),
      options: fields[5].split(","),
      fsType: fields[dash + 1],
      source: unescape(fields[dash + 2] ?? ""),
    });
  }
  return mounts;
}

/**
 * Whether `path` itself is a mount point (findmnt --mountpoint; a final symlink is not followed). One statx call;
 * mountinfo only where statx cannot tell.
 */
export async function isMountPoint(path: string): Promise<boolean> {
  const root = await mountSyscalls()?.isMountRoot(path);
  if (root !== undefined) return root;
  return (await mountAtFromTable(path)) !== undefined;
}

/**
 * isMountPoint on the calling thread, for a path reached through descriptors that openpath.ts has just opened
 * synchronously (a `/proc/<pid>/fd/N/<name>` path): the same local lookups, so no reason to pay a worker-thread
 * round trip. A path that may cross a network filesystem belongs to isMountPoint.
 */
export function isMountPointNow(path: string, display = path): boolean {
  return mountSyscalls()?.isMountRootNow(path) ?? mountAtFromTableNow(display) !== undefined;
}

/** The visible mount at exactly `path`, if `path` is a mount point. */
export async function mountAt(path: string): Promise<MountInfo | undefined> {
  // Most calls ask about a path that is not mounted yet (every publish): statx answers those without the table.
  if ((await mountSyscalls()?.isMountRoot(path)) === false) return undefined;
  return mountAtFromTable(path);
}

async function mountAtFromTable(path: string): Promise<MountInfo | undefined> {
  return mountAtFromTableNow(path);
}

function mountAtFromTableNow(path: string): MountInfo | undefined {
  const mounts = readMounts();
  for (let i = mounts.length - 1; i >= 0; i--) if (mounts[i].mountPoint === path) return mounts[i];
  return undefined;
}

/** Mount points at or below `dir` (to find leftovers after a test or a crash). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  return (await listMounts()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(prefix));
}

/**
 * Whether `dir` or anything below it is a mount point (what `mountsUnder(dir).length > 0` answers before an
 * rm -r), found by walking `dir` with statx: the cost grows with the entries under `dir` (a handful for a pod
 * directory whose volumes are torn down), not with the mounts on the node. Nothing is followed through a symlink
 * and a mount point is not entered. The mount table decides where statx cannot tell.
 */
export async function hasMountsUnder(dir: string): Promise<boolean> {
  const syscalls = mountSyscalls();
  if (!syscalls) return (await mountsUnder(dir)).length > 0;
  const walk = async (path: string): Promise<boolean | undefined> => {
    const root = await syscalls.isMountRoot(path);
    if (root !== false) return root; // true, or undefined: cannot tell
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (err) {
      // Gone meanwhile: nothing mounted there. Unreadable: cannot tell.
      const code = (err as NodeJS.ErrnoException).code;
      return code === "ENOENT" || code === "ENOTDIR" ? false : undefined;
    }
    for (const entry of entries) {
      const child = `${path}/${entry.name}`;
      // A file can be a mount point too (a bind-mounted file); only directories are descended into.
      const found = entry.isDirectory() ? await walk(child) : await syscalls.isMountRoot(child);
      if (found !== false) return found;
    }
    return false;
  };
  const found = await walk(dir.length > 1 ? dir.replace(/\/+$/, "") : dir);
  return found ?? (await mountsUnder(dir)).length > 0;
}

async function mountCommand(args: string[]): Promise<void> {
  try {
    await run("mount", args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new MountError(`mount ${args.join(" ")} failed: ${stderr || (err as Error).message}`);
  }
}

/** Runs a mount syscall, worded as the command it replaces would be when it fails. */
async function syscall(command: string, call: () => Promise<void>): Promise<void> {
  try {
    await call();
  } catch (err) {
    throw new MountError(`${command} failed: ${(err as Error).message}`);
  }
}

/** Bind-mounts `source` on `target` (both must exist); read-only takes a second remount, as the kernel requires. */
export async function bindMount(source: string, target: string, readonly: boolean): Promise<void> {
  const syscalls = mountSyscalls();
  if (syscalls) {
    await syscall(`mount --bind ${source} ${target}`, () => syscalls.mount(source, target, null, MS_BIND, null));
  } else await mountCommand(["--bind", source, target]);
  if (readonly) {
    try {
      const setReadOnly = syscalls?.setReadOnly;
      if (setReadOnly) await syscall(`mount -o remount,bind,ro ${target}`, () => setReadOnly(target));
      else await mountCommand(["-o", "remount,bind,ro", target]);
    } catch (err) {
      // Never leave a writable mount where a read-only one was asked for.
      await unmount(target).catch(() => undefined);
      throw err;
    }
  }
}

/**
 * Bind-mounts the directory open as `source` onto the directory open as `target` (openpath.ts), both named by
 * their descriptors (/proc/<pid>/fd/N): what was checked is what is mounted, and where, even if a path component
 * was swapped for a symlink since. Read-only as bindMount, set through the target's parent and name without
 * following a symlink there (a mount point cannot be renamed or removed while mounted).
 */
export async function bindMountNoFollow(source: OpenedPath, target: OpenedPath, readonly: boolean): Promise<void> {
  const [from, onto, mounted] = [source.self, target.self, target.inParent];
  const syscalls = mountSyscalls();
  const display = `mount --bind ${source.path} ${target.path}`;
  // Both ends are descriptors opened on this thread: the bind itself is made here too (mountsyscalls.ts).
  if (syscalls) await syscall(display, async () => syscalls.bindNow(from, onto));
  else await mountCommand(["--no-canonicalize", "--bind", from, onto]);
  if (!readonly) return;
  try {
    const setReadOnly = syscalls?.setReadOnly;
    if (setReadOnly) await syscall(`mount -o remount,bind,ro ${target.path}`, () => setReadOnly(mounted, true));
    else await mountCommand(["--no-canonicalize", "-o", "remount,bind,ro", mounted]);
  } catch (err) {
    await unmountNoFollow(target).catch(() => undefined); // never a writable mount where read-only was asked
    throw err;
  }
}

/**
 * Unmounts everything mounted at the last component of `target` (opened by openParent: the parents are held by a
 * descriptor), never following a symlink there: an unmount that cannot be aimed at another mount. A no-op when
 * nothing is mounted; a symlink there is refused.
 */
export async function unmountNoFollow(target: OpenedPath): Promise<void> {
  const path = target.inParent;
  if (target.lstat()?.isSymbolicLink()) throw new UnsafePathError(`${target.path} is a symlink; not unmounting it`);
  const syscalls = mountSyscalls();
  // Where statx cannot tell, the mount table is asked by the path as given (it knows no descriptors).
  while (isMountPointNow(path, target.path)) {
    if (syscalls) await syscall(`umount ${target.path}`, () => syscalls.umount(path, UMOUNT_NOFOLLOW));
    else {
      try {
        await run("umount", ["--no-canonicalize", path]);
      } catch (err) {
        const stderr = (err as { stderr?: string }).stderr?.trim();
        throw new MountError(`umount ${target.path} failed: ${stderr || (err as Error).message}`);
      }
    }
  }
}

/** Mounts a tmpfs on `target` with tmpfs options such as `mode=0777` and `size=<bytes>`. */
export async function mountTmpfs(target: string, options: string[]): Promise<void> {
  const syscalls = mountSyscalls();
  const data = options.join(",");
  if (syscalls)
    await syscall(`mount -t tmpfs -o ${data} tmpfs ${target}`, () => syscalls.mount("tmpfs", target, "tmpfs", 0, data));
  else await mountCommand(["-t", "tmpfs", "-o", data, "tmpfs", target]);
}

/** Unmounts `target` if it is a mount point; a no-op otherwise (so retries are safe). */
export async function unmount(target: string): Promise<void> {
  const syscalls = mountSyscalls();
  // Mounts stacked on one path come off one at a time, the topmost first.
  while (await isMountPoint(target)) {
    if (syscalls) {
      await syscall(`umount ${target}`, () => syscalls.umount(target));
      continue;
    }
    try {
      await run("umount", [target]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr?.trim();
      throw new MountError(`umount ${target} failed: ${stderr || (err as Error).message}`);
    }
  }
}

/**
 * Whether this process can bind-mount: tries one in a scratch directory under `dir`. Returns undefined when it
 * can, or the reason it cannot (not root, no CAP_SYS_ADMIN, no mount binary, …) for the driver to report.
 */
export async function checkBindMounts(dir: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return `not running as root (uid ${process.getuid?.()})`;
  await mkdir(dir, { recursive: true });
  const scratch = await mkdtemp(join(dir, ".mount-check-"));
  const source = join(scratch, "source");
  const target = join(scratch, "target");
  try {
    await mkdir(source);
    await mkdir(target);
    await bindMount(source, target, true);
    await unmount(target);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await unmount(target).catch(() => undefined);
    await rm(scratch, { recursive: true, force: true });
  }
}
