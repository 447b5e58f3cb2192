// How the hostpath Node service tells what is mounted where. The kernel is asked on every call, so a retry (or a
// restarted driver) finds finished work instead of mounting twice: statx says whether a path is a mount point and
// comparing inodes says whose, so the mount table (which grows with every mount on the node) is read only for the
// rare answers that need more.
import { statSync, type Stats } from "node:fs";
import { rmdir, unlink } from "node:fs/promises";
import { Code, CsiError } from "../../errors.js";
import {
  bindMountNoFollow,
  isMountPoint,
  isMountPointNow,
  mountAt,
  unmountNoFollow,
  type MountInfo,
} from "../../../support/mount.js";
import { openDirectoryNoFollow, openParent, UnsafePathError, type OpenedPath } from "../../../support/openpath.js";
import type { HostpathContext } from "./context.js";
import type { VolumeRecord } from "./state.js";

// A target or staging path lies in the CO's directories (the kubelet's pods/<uid>/volumes/…), where a pod's owner
// may be able to write: a component swapped for a symlink between a check and the mount would aim the mount (or
// the unmount, or the removal) at /etc. So every path is opened component by component with O_NOFOLLOW
// (support/openpath.ts) and the mount, unmount and removal go through those descriptors, as the kubelet's subPath
// fix does; a symlink anywhere in the path is refused.

const refused = (field: string, path: string, err: UnsafePathError) =>
  new CsiError(Code.INVALID_ARGUMENT, `${field} ${JSON.stringify(path)}: ${err.message}; refusing to use it`);

/** Runs `fn` on `path` opened (and created, 0750, when missing) as a directory; INVALID_ARGUMENT on a symlink. */
async function withMountPoint<T>(path: string, field: string, fn: (target: OpenedPath) => Promise<T>): Promise<T> {
  let target: OpenedPath;
  try {
    target = openDirectoryNoFollow(path, { mode: 0o750 });
  } catch (err) {
    if (err instanceof UnsafePathError) throw refused(field, path, err);
    throw err;
  }
  try {
    return await fn(target);
  } finally {
    target.close();
  }
}

/**
 * Runs `fn` with the parent of `path` open and its last name (for unmount and removal), or with undefined when a
 * parent is missing (nothing can be mounted there). INVALID_ARGUMENT when a parent is a symlink.
 */
export async function withTargetParent<T>(
  path: string,
  field: string,
  fn: (target: OpenedPath | undefined) => Promise<T>,
): Promise<T> {
  let target: OpenedPath | undefined;
  try {
    target = openParent(path);
  } catch (err) {
    if (err instanceof UnsafePathError) throw refused(field, path, err);
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  try {
    return await fn(target);
  } finally {
    target?.close();
  }
}

/** Whether the mount at a path is a bind of this volume's directory. */
const isMountOf = (mount: MountInfo, volumeId: string): boolean => mount.root.endsWith(`/volumes/${volumeId}`);

const isReadOnlyMount = (mount: MountInfo): boolean => mount.options.includes("ro");

/** Stage and publish fail, saying why, where bind mounts cannot work (not root, …). */
export function requireMounts(ctx: HostpathContext): void {
  if (ctx.mountsUnavailable) {
    throw new CsiError(
      Code.FAILED_PRECONDITION,
      `the hostpath driver cannot mount on this node: ${ctx.mountsUnavailable}`,
    );
  }
}

/**
 * Bind-mounts the volume at `path` unless it already is (with the same read-only-ness), which makes stage and
 * publish idempotent. A different mount already there means the path belongs to someone else: ALREADY_EXISTS.
 */
export async function ensureBind(
  ctx: HostpathContext,
  volume: VolumeRecord,
  path: string,
  readonly: boolean,
  field: string,
): Promise<void> {
  // The volume's directory, opened component by component without following a symlink: what storage.safeVolumeDir
  // checks with lstat and realpath (a real directory inside volumes/), proven by the descriptor that is mounted,
  // with no thread-pool round trips.
  const source = openVolumeDir(ctx, volume.id);
  try {
    await withMountPoint(path, field, async (target) => {
      if (isMountPointNow(target.inParent, path)) {
        // The table says whose and how (read only: what is mounted was already decided).
        const current = await mountAt(path);
        if (!current || !isMountOf(current, volume.id)) {
          throw new CsiError(Code.ALREADY_EXISTS, `${field} ${path} already has another mount (${current?.root})`);
        }
        if (isReadOnlyMount(current) !== readonly) {
          throw new CsiError(
            Code.ALREADY_EXISTS,
            `volume ${volume.id} is already mounted at ${path} ${isReadOnlyMount(current) ? "read-only" : "read-write"}`,
          );
        }
        return;
      }
      await bindMountNoFollow(source, target, readonly);
    });
  } finally {
    source.close();
  }
}

/** The volume's directory opened without following symlinks; NOT_FOUND when missing, refused when swapped. */
function openVolumeDir(ctx: HostpathContext, id: string): OpenedPath {
  const dir = ctx.storage.volumeDir(id);
  try {
    return openDirectoryNoFollow(dir);
  } catch (err) {
    if (err instanceof UnsafePathError) {
      throw new CsiError(Code.FAILED_PRECONDITION, `volume ${id}: ${err.message}; refusing to use it`);
    }
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      throw new CsiError(Code.NOT_FOUND, `volume ${id}: its directory ${dir} is missing`);
    }
    throw err;
  }
}

/**
 * Whether this volume's directory is what is mounted at the last component of `target` (false: nothing or
 * something else is). A mount point whose root is the volume's directory is its bind; the mount table decides
 * only when the inodes cannot be compared (the volume's directory is gone, say).
 */
export async function isMountedAt(ctx: HostpathContext, volume: VolumeRecord, target: OpenedPath): Promise<boolean> {
  if (!isMountPointNow(target.inParent, target.path)) return false;
  const here = target.lstat(); // a mount point's own root (lookups cross into the mount), never a symlink's target
  const dir = statOrUndefined(ctx.storage.volumeDir(volume.id));
  if (here && dir) return here.dev === dir.dev && here.ino === dir.ino;
  const mount = await mountAt(target.path);
  return mount !== undefined && isMountOf(mount, volume.id);
}

/** Unmounts this volume from `target` if it is what is mounted there; through descriptors (see the top). */
export async function unmountFrom(ctx: HostpathContext, volume: VolumeRecord, target: OpenedPath): Promise<void> {
  if (await isMountedAt(ctx, volume, target)) await unmountNoFollow(target);
}

/**
 * Removes the target the SP created (spec: the SP deletes what it made at target_path): rmdir, never rm -r (if
 * anything is still inside, it is not our mount point and not ours to delete); a file or symlink there is
 * unlinked as itself. Something else still mounted there: FAILED_PRECONDITION.
 */
export async function removeTarget(ctx: HostpathContext, volumeId: string, target: OpenedPath): Promise<void> {
  try {
    // Not synchronous like the lookups around it: an rmdir waits on the filesystem's journal, measured here at
    // 0.1 to 4.6 ms on a busy disk, and must not hold every other call up meanwhile.
    await rmdir(target.inParent);
  } catch (caught) {
    const err = caught as NodeJS.ErrnoException;
    if (err.code === "ENOENT") return;
    if (err.code === "ENOTDIR") return unlink(target.inParent).catch(() => undefined);
    if (await isMountPoint(target.inParent)) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `${target.path} is mounted by something other than volume ${volumeId}`,
      );
    }
    ctx.log(`hostpath: NodeUnpublishVolume left ${target.path} in place: ${err.message}`);
  }
}

/** stat of a path on the driver's own disk, synchronous as openpath.ts's lookups; undefined when it fails. */
function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
