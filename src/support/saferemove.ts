// Removing a directory tree as root without being tricked: every step goes through an open directory descriptor
// (`/proc/self/fd/N/<name>`, the kernel's own reference to the directory, so renaming or swapping a parent for a
// symlink midway changes nothing), directories are opened with O_NOFOLLOW (a symlink is removed as a link, never
// walked through), nothing on another filesystem or below a mount point is touched, and protected directories
// (stowage's data dir and every directory that contains it) are refused before anything is removed.
import { constants } from "node:fs";
import { lstat, open, readdir, realpath, rmdir, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";

/** A removal refused for safety (the tree is left as it was from that point on); the message says why. */
export class UnsafeRemovalError extends Error {}

const openDirectoryNoFollow = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** The path of `name` inside the open directory `fd`, resolved by the kernel through the descriptor. */
export const beneath = (fd: number, name?: string): string =>
  name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;

const identity = (s: { dev: number; ino: number }) => `${s.dev}:${s.ino}`;

export interface SafeRemoveOptions {
  /** Directories that must survive: neither they nor any directory containing them is removed or emptied. */
  protect?: readonly string[];
  /** Whether the path (seen through a descriptor) is the root of a mount: catches bind mounts of the same fs. */
  isMountRoot?(path: string): Promise<boolean | undefined>;
}

/**
 * Opens `path` (absolute, lexically inside `root`) one component at a time below the operator-given `root`,
 * refusing any component that is a symlink. Returns the open directory and its parent (for removing it).
 */
export async function openDirectoryBeneath(
  root: string,
  path: string,
): Promise<{ dir: FileHandle; parent: FileHandle; name: string }> {
  const parts = relative(resolve(root), resolve(path)).split(sep);
  if (parts.length === 0 || parts[0] === "" || parts[0] === ".." || isAbsolute(parts[0]))
    throw new UnsafeRemovalError(`${path} is not inside ${root}`);
  let parent = await open(await realpath(root), openDirectoryNoFollow);
  try {
    for (let i = 0; ; i++) {
      let next: FileHandle;
      try {
        next = await open(beneath(parent.fd, parts[i]), openDirectoryNoFollow);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const link = await lstat(beneath(parent.fd, parts[i])).then(
          (s) => s.isSymbolicLink(),
          () => false,
        );
        if (code === "ELOOP" || link)
          throw new UnsafeRemovalError(`${path}: ${parts.slice(0, i + 1).join(sep)} is a symlink`);
        if (code === "ENOTDIR") throw new UnsafeRemovalError(`${path} is not a directory`);
        if (code === "ENOENT") throw new UnsafeRemovalError(`${path} does not exist`);
        throw err;
      }
      if (i === parts.length - 1) return { dir: next, parent, name: parts[i] };
      await parent.close();
      parent = next;
    }
  } catch (err) {
    await parent.close();
    throw err;
  }
}

/** The (device, inode) of every protected directory and of every directory above it. */
async function protectedIdentities(paths: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const path of paths) {
    let current = await realpath(path).catch(() => resolve(path));
    for (;;) {
      const s = await stat(current).catch(() => undefined);
      if (s) out.add(identity(s));
      const up = dirname(current);
      if (up === current) break;
      current = up;
    }
  }
  return out;
}

interface Walk {
  dev: number;
  display: string;
  guarded: Set<string>;
  isMountRoot?: (path: string) => Promise<boolean | undefined>;
}

/** Checks a directory about to be emptied: same filesystem, not a mount point, not protected. */
async function checkDirectory(dir: FileHandle, path: string, display: string, walk: Walk): Promise<void> {
  const s = await dir.stat();
  if (walk.guarded.has(identity(s)))
    throw new UnsafeRemovalError(`${display} is or contains a protected directory (stowage's data dir); refusing`);
  if (s.dev !== walk.dev || (await walk.isMountRoot?.(path)) === true)
    throw new UnsafeRemovalError(`${display} is a mount point; removal does not cross filesystems`);
}

async function removeContents(dir: FileHandle, display: string, walk: Walk): Promise<void> {
  for (const name of await readdir(beneath(dir.fd))) {
    const path = beneath(dir.fd, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info) continue; // gone meanwhile
    if (!info.isDirectory()) {
      await unlink(path); // a file, or a symlink removed as a link: its target is never touched
      continue;
    }
    let child: FileHandle;
    try {
      child = await open(path, openDirectoryNoFollow);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ELOOP" && code !== "ENOTDIR") throw err;
      await unlink(path); // swapped for a symlink or a file since the lstat: remove what is there now
      continue;
    }
    try {
      await checkDirectory(child, path, `${display}/${name}`, walk);
      await removeContents(child, `${display}/${name}`, walk);
    } finally {
      await child.close();
    }
    await rmdir(path); // ENOTDIR if swapped for a symlink meanwhile: an error, never a removal elsewhere
  }
}

/**
 * Empties the directory `path` inside `root` (and removes it too unless `keep`), by descriptors as above.
 * Throws UnsafeRemovalError for a symlinked component, a mount point or a protected directory on the way.
 */
export async function removeBeneath(
  root: string,
  path: string,
  options: SafeRemoveOptions & { keep?: boolean } = {},
): Promise<void> {
  const guarded = await protectedIdentities(options.protect ?? []);
  const { dir, parent, name } = await openDirectoryBeneath(root, path);
  try {
    const top = await dir.stat();
    const walk: Walk = { dev: top.dev, display: path, guarded, isMountRoot: options.isMountRoot };
    if (guarded.has(identity(top)))
      throw new UnsafeRemovalError(`${path} is or contains a protected directory (stowage's data dir); refusing`);
    await removeContents(dir, path, walk);
    if (!options.keep) await rmdir(beneath(parent.fd, name));
  } finally {
    await dir.close();
    await parent.close();
  }
}
