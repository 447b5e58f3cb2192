// Volume ownership for a pod's fsGroup (pkg/volume/volume_linux.go SetVolumeOwnership): every file and directory
// of the volume gets the group, group read/write (read only for a read-only volume), and directories also group
// search and setgid, so files made later inherit the group. The walk upstream is slow on big volumes; here
// OnRootMismatch skips it when the root already looks right, the walk is one pass that lstat()s each entry once
// and changes only what differs, and each directory's entries are handled concurrently.
import { chmod, lchown, lstat, opendir } from "node:fs/promises";
import { join } from "node:path";
import type { Stats } from "node:fs";
import type { Pod } from "../../api/core/types.js";

export type FSGroupChangePolicy = "OnRootMismatch" | "Always";

const rwMask = 0o660;
const roMask = 0o440;
const execMask = 0o110;
const setgid = 0o2000;
/** Entries of one directory handled at once: enough to overlap the syscalls, few enough to bound open handles. */
const batch = 64;

/** The mode an entry ends with: what it has, plus the group's bits (and setgid on a directory). */
function wantedMode(stats: Stats, readOnly: boolean): number {
  let mask = readOnly ? roMask : rwMask;
  if (stats.isDirectory()) mask |= execMask | setgid;
  return (stats.mode & 0o7777) | mask;
}

/** requiresPermissionChange: the root's group, its group bits and setgid already right means nothing to do. */
export async function requiresPermissionChange(root: string, fsGroup: number, readOnly: boolean): Promise<boolean> {
  let stats: Stats;
  try {
    stats = await lstat(root);
  } catch {
    return true;
  }
  if (stats.gid !== fsGroup || !stats.isDirectory()) return true;
  const perms = (readOnly ? roMask : rwMask) | execMask;
  return (stats.mode & perms) !== perms || (stats.mode & setgid) === 0;
}

/** One entry: its group, then (never through a symlink: that would change its target) its mode. */
async function changeEntry(path: string, stats: Stats, fsGroup: number, readOnly: boolean): Promise<void> {
  if (stats.gid !== fsGroup) await lchown(path, -1, fsGroup);
  if (stats.isSymbolicLink()) return;
  const mode = wantedMode(stats, readOnly);
  // chown clears setuid/setgid on files for non-root callers; the mode is set after it either way.
  if (mode !== (stats.mode & 0o7777) || stats.gid !== fsGroup) await chmod(path, mode);
}

async function walk(dir: string, fsGroup: number, readOnly: boolean): Promise<void> {
  const pending: Array<Promise<void>> = [];
  const visit = async (path: string) => {
    const stats = await lstat(path);
    await changeEntry(path, stats, fsGroup, readOnly);
    if (stats.isDirectory()) await walk(path, fsGroup, readOnly);
  };
  for await (const entry of await opendir(dir)) {
    pending.push(visit(join(dir, entry.name)));
    if (pending.length >= batch) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
}

/**
 * SetVolumeOwnership: nothing without an fsGroup; with OnRootMismatch nothing when the root is already right;
 * otherwise the root and everything under it. Returns whether it walked (for tests and the log).
 */
export async function setVolumeOwnership(
  root: string,
  fsGroup: number | undefined,
  policy: FSGroupChangePolicy | undefined,
  readOnly: boolean,
): Promise<boolean> {
  if (fsGroup === undefined) return false;
  if (policy === "OnRootMismatch" && !(await requiresPermissionChange(root, fsGroup, readOnly))) return false;
  const stats = await lstat(root);
  if (stats.isDirectory()) await walk(root, fsGroup, readOnly);
  // The root last: OnRootMismatch reads it as "done", so a walk that died half way is done again.
  await changeEntry(root, stats, fsGroup, readOnly);
  return true;
}

/** The pod's fsGroup and fsGroupChangePolicy (securityContext), as the kubelet's MounterArgs carry them. */
export function podFSGroup(pod: Pod): { fsGroup?: number; policy?: FSGroupChangePolicy } {
  const context = pod.spec.securityContext;
  return { fsGroup: context?.fsGroup, policy: context?.fsGroupChangePolicy };
}
