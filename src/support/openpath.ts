// Opening a path that others can write into without being redirected: every component is opened from / through
// the descriptor of its parent (`/proc/<pid>/fd/N/<name>`, the kernel's own reference to the directory, so a parent
// renamed or swapped for a symlink midway changes nothing), with O_NOFOLLOW, so a symlink anywhere in the path is
// refused rather than walked through. What the caller then does (a bind mount, an unmount, a removal) goes through
// those descriptors too: it lands on the very directory that was checked, whatever the path says by then.
//
// The calls are synchronous on purpose: they are metadata lookups on the node's local disk (the kubelet's and the
// drivers' directories), a few microseconds each, and a thread-pool round trip per component would cost more than
// the call. A path on a network filesystem does not belong here.
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmdirSync,
  unlinkSync,
  type Stats,
} from "node:fs";
import { isAbsolute, normalize } from "node:path";

/** A path refused because a component is a symlink or not a directory; the message names it. */
export class UnsafePathError extends Error {
  override name = "UnsafePathError";
}

/** Linux's O_PATH: a descriptor that names a file without opening it (no read access needed, a FIFO never blocks). */
const O_PATH = 0o10000000;
const openDirectory = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/**
 * `name` inside the directory open as `fd`, as a path any process of ours (a mount binary included) resolves
 * through that descriptor.
 */
export const fdPath = (fd: number, name?: string): string =>
  name === undefined ? `/proc/${process.pid}/fd/${fd}` : `/proc/${process.pid}/fd/${fd}/${name}`;

/** An open directory and the open parent it was found in, by name (for an unmount or removal of the last part). */
export class OpenedPath {
  constructor(
    /** The path as asked for, for messages. */
    readonly path: string,
    readonly parent: number,
    readonly name: string,
    /** The final component itself, when it is a directory (undefined from openParent). */
    readonly dir: number | undefined,
  ) {}

  /** The final component through its parent's descriptor: the last name is looked up there and nowhere else. */
  get inParent(): string {
    return fdPath(this.parent, this.name);
  }

  /** The final directory's descriptor (openDirectoryNoFollow). */
  get fd(): number {
    if (this.dir === undefined) throw new Error(`${this.path}: opened without its last component`);
    return this.dir;
  }

  /** The final directory through its own descriptor: exactly what was opened and checked. */
  get self(): string {
    return fdPath(this.fd);
  }

  /** lstat of the final component as its parent holds it now (a symlink is reported as one). */
  lstat(): Stats | undefined {
    try {
      return lstatSync(this.inParent);
    } catch {
      return undefined;
    }
  }

  close(): void {
    if (this.dir !== undefined) closeSync(this.dir);
    closeSync(this.parent);
  }
}

function components(path: string): string[] {
  if (!isAbsolute(path)) throw new UnsafePathError(`${path} is not an absolute path`);
  const parts = normalize(path)
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new UnsafePathError(`${path} must not contain ".."`);
  if (parts.length === 0) throw new UnsafePathError(`${path}: / itself cannot be used`);
  return parts;
}

/** Opens `name` in `parent` as a directory, refusing a symlink; creates it first (with `mode`) when asked. */
export function openChild(parent: number, name: string, display: string, mode: number | undefined): number {
  const path = fdPath(parent, name);
  for (let attempt = 0; ; attempt++) {
    try {
      return openSync(path, openDirectory);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" && mode !== undefined && attempt < 3) {
        try {
          mkdirSync(path, { mode }); // EEXIST: made meanwhile (perhaps as a symlink): the open decides
        } catch (made) {
          if ((made as NodeJS.ErrnoException).code !== "EEXIST") throw made;
        }
        continue;
      }
      // O_PATH | O_NOFOLLOW | O_DIRECTORY on a symlink fails ENOTDIR (ELOOP on some kernels): say which it was.
      if (code === "ENOTDIR" || code === "ELOOP") {
        const link = (() => {
          try {
            return lstatSync(path).isSymbolicLink();
          } catch {
            return false;
          }
        })();
        throw new UnsafePathError(link ? `${display} is a symlink` : `${display} is not a directory`);
      }
      throw err;
    }
  }
}

/**
 * Opens the parent directories of the absolute `path` from /, never following a symlink, and returns the parent
 * with the last name (not opened: it may be a file, a symlink, or missing). `create` makes missing parents.
 */
export function openParent(path: string, create?: { mode: number }): OpenedPath {
  const parts = components(path);
  let current = openSync("/", openDirectory);
  try {
    for (let i = 0; i < parts.length - 1; i++) {
      const next = openChild(current, parts[i], `/${parts.slice(0, i + 1).join("/")}`, create?.mode);
      closeSync(current);
      current = next;
    }
  } catch (err) {
    closeSync(current);
    throw err;
  }
  return new OpenedPath(path, current, parts[parts.length - 1], undefined);
}

/** As openParent, and the last component opened as a directory too (created when asked; a symlink is refused). */
export function openDirectoryNoFollow(path: string, create?: { mode: number }): OpenedPath {
  const parent = openParent(path, create);
  try {
    const dir = openChild(parent.parent, parent.name, normalize(path), create?.mode);
    return new OpenedPath(path, parent.parent, parent.name, dir);
  } catch (err) {
    parent.close();
    throw err;
  }
}

/** The (device, inode) of an open descriptor, to compare with what a path names. */
export function identityOf(fd: number): { dev: bigint; ino: bigint } {
  const s = fstatSync(fd, { bigint: true });
  return { dev: s.dev, ino: s.ino };
}

/**
 * Removes the entry `name` of the directory open as `parent`: a file or symlink is unlinked as itself (its target
 * untouched), a directory emptied through descriptors and removed. A directory on another filesystem (a mount
 * point) is refused rather than emptied.
 */
export function removeEntryNoFollow(parent: number, name: string, display = name): void {
  const path = fdPath(parent, name);
  let info: Stats;
  try {
    info = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  if (!info.isDirectory()) return unlinkSync(path);
  const dir = openChild(parent, name, display, undefined);
  try {
    if (fstatSync(dir).dev !== fstatSync(parent).dev)
      throw new UnsafePathError(`${display} is a mount point; not removing what is mounted there`);
    for (const child of readdirSync(fdPath(dir))) removeEntryNoFollow(dir, child, `${display}/${child}`);
  } finally {
    closeSync(dir);
  }
  rmdirSync(path);
}
