// Pod directories nothing owns any more (the kubelet's cleanupOrphanedPodDirs): a pod's directory under pods/ goes
// once no pod in the API owns it and nothing is mounted under it — never while anything is, so a volume that failed
// to unmount keeps its data reachable instead of being deleted through the mount.
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { hasMountsUnder, mountsUnder, unmount } from "../support/mount.js";
import type { NodePaths } from "./paths.js";
import type { ActualState } from "./volumemanager/actual.js";

export interface HousekeepingOptions {
  paths: NodePaths;
  actual: ActualState;
  /** Whether a pod with this UID is bound here in the API (its directory is still in use). */
  podKnown(podUid: string): boolean;
}

/**
 * Removes pods/<uid> unless something is still mounted under it. Its subPath bind mounts go first (the kubelet's
 * CleanSubPaths): its containers are gone by now, and those binds are ours, not a volume's.
 */
export async function removePodDir(paths: NodePaths, podUid: string): Promise<void> {
  const podDir = paths.podDir(podUid);
  await cleanSubPaths(paths, podUid);
  if (!(await hasMountsUnder(podDir))) await rm(podDir, { recursive: true, force: true });
}

/**
 * Unmounts a pod's subPath binds (of one volume, or all): the kubelet's CleanSubPaths, run before a volume is torn
 * down — a bind left behind would keep the volume's filesystem busy after its unmount and unstage (a loop device
 * then stays attached, and the next stage finds it in use).
 */
export async function cleanSubPaths(paths: NodePaths, podUid: string, volumeName?: string): Promise<void> {
  const all = paths.podVolumeSubpathsDir(podUid);
  const dir = volumeName === undefined ? all : join(all, volumeName);
  for (const target of (await mountsUnder(dir)).reverse()) await unmount(target);
}

/**
 * A pod removed from the API without the agent (force-deleted while it was down): once its reconstructed volumes
 * are torn down, its directory goes too, never while anything is mounted.
 */
export async function removeOrphanedPodDir(options: HousekeepingOptions, podUid: string): Promise<void> {
  if (options.actual.volumesOfPod(podUid).length > 0 || options.podKnown(podUid)) return;
  await removePodDir(options.paths, podUid);
}

/**
 * The kubelet's housekeeping (cleanupOrphanedPodDirs, every 2 s): a pod directory that no pod in the API owns and
 * nothing is mounted under goes. Catches directories a mount in flight re-created after its pod was deleted.
 */
export async function cleanupOrphanedPodDirs(options: HousekeepingOptions): Promise<void> {
  const uids = await readdir(options.paths.podsDir).catch(() => [] as string[]);
  for (const uid of uids) await removeOrphanedPodDir(options, uid);
}
