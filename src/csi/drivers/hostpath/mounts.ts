// How the hostpath Node service tells what is mounted where. The kernel is asked on every call, so a retry (or a
// restarted driver) finds finished work instead of mounting twice: statx says whether a path is a mount point and
// comparing inodes says whose, so the mount table (which grows with every mount on the node) is read only for the
// rare answers that need more.
import { mkdir, realpath, stat } from "node:fs/promises";
import { Code, CsiError } from "../../errors.js";
import { bindMount, isMountPoint, mountAt, type MountInfo } from "../../../support/mount.js";
import type { HostpathContext } from "./context.js";
import type { VolumeRecord } from "./state.js";

/**
 * Creates `path` (and parents) if needed and refuses it if any part of it is a symlink: mounting over a symlink
 * mounts over whatever it points to, which is how a workload could aim a volume at /etc.
 */
async function prepareMountPoint(path: string, field: string): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o750 });
  const real = await realpath(path);
  if (real !== path) {
    throw new CsiError(
      Code.INVALID_ARGUMENT,
      `${field} ${JSON.stringify(path)} goes through a symlink (it resolves to ${JSON.stringify(real)}); refusing to mount there`,
    );
  }
}

/** Whether the mount at a path is a bind of this volume's directory. */
const isMountOf = (mount: MountInfo, volumeId: string): boolean => mount.root.endsWith(`/volumes/${volumeId}`);

const isReadOnlyMount = (mount: MountInfo): boolean => mount.options.includes("ro");

/** The same file: a bind mount's root is the very directory it binds (same device and inode). */
async function sameFile(a: string, b: string): Promise<boolean | undefined> {
  const [x, y] = await Promise.all([stat(a, { bigint: true }), stat(b, { bigint: true })]).catch(() => []);
  if (!x || !y) return undefined;
  return x.dev === y.dev && x.ino === y.ino;
}

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
  await prepareMountPoint(path, field);
  const current = await mountAt(path);
  if (current) {
    if (!isMountOf(current, volume.id)) {
      throw new CsiError(Code.ALREADY_EXISTS, `${field} ${path} already has another mount (${current.root})`);
    }
    if (isReadOnlyMount(current) !== readonly) {
      throw new CsiError(
        Code.ALREADY_EXISTS,
        `volume ${volume.id} is already mounted at ${path} ${isReadOnlyMount(current) ? "read-only" : "read-write"}`,
      );
    }
    return;
  }
  await bindMount(await ctx.storage.safeVolumeDir(volume.id), path, readonly);
}

/**
 * Whether this volume's directory is what is mounted at `path` (false: nothing or something else is). A mount
 * point whose root is the volume's directory is its bind; the mount table decides only when the inodes cannot
 * be compared (the volume's directory is gone, say).
 */
export async function isMountedAt(ctx: HostpathContext, volume: VolumeRecord, path: string): Promise<boolean> {
  if (!(await isMountPoint(path))) return false;
  const same = await sameFile(path, ctx.storage.volumeDir(volume.id));
  if (same !== undefined) return same;
  const mount = await mountAt(path);
  return mount !== undefined && isMountOf(mount, volume.id);
}
