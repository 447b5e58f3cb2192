// What every block-driver RPC works with: the persisted state, per-volume locks, and what this machine can do.
import { run } from "./exec.js";
import type { FsType } from "./filesystem.js";
import type { OperationLocks } from "../core/locks.js";
import { loopDevicesFor } from "./loop.js";
import { mountsOfDevice } from "./mount.js";
import { isVolumeId, type BlockState, type VolumeRecord } from "./state.js";

export const defaultDriverName = "block.csi.stowage.dev";
/** NodeGetInfo's topology key: a volume is reachable from the node it is attached to. */
export const topologyKey = "topology.block.csi.stowage.dev/node";
/** Publish context key: the backing file NodeStage attaches (inside the state dir, checked on the node). */
export const backingFileKey = "backingFile";
/** Volume context key carrying the StorageClass's fsType to NodeStage. */
export const fsTypeContextKey = "fsType";
/** Default total for GetCapacity when DriverOptions.capacity is unset. Backing files are sparse. */
export const defaultCapacityBytes = 100 * 2 ** 30;

export interface BlockContext {
  driverName: string;
  nodeId: string;
  state: BlockState;
  locks: OperationLocks;
  capacityBytes: number;
  maxVolumesPerNode: number;
  /** Node calls need loop devices and mounts; when missing, they fail with this explanation instead of pretending. */
  nodeUnavailable?: string;
  /** ext4 online resize needs CAP_SYS_RESOURCE; without it NodeExpandVolume grows the filesystem offline. */
  canResizeExtOnline: boolean;
  fsTypes: FsType[];
  log: (line: string) => void;
  /** Test hook (STOWAGE_CSI_BLOCK_CRASH_AT): die at a named step to prove crash safety. */
  crashAt?: string;
}

/** Kills the process with SIGKILL at a named step when the crash hook asks for it: no cleanup, like a power cut. */
export function crashPoint(ctx: BlockContext, step: string): void {
  if (ctx.crashAt === step) process.kill(process.pid, "SIGKILL");
}

/** A "ready" volume record, or undefined for ids that are not ours, unknown, half-made or being deleted. */
export async function readyVolume(ctx: BlockContext, volumeId: string): Promise<VolumeRecord | undefined> {
  if (!isVolumeId(volumeId)) return undefined;
  const volume = await ctx.state.volumes.get(volumeId);
  return volume?.state === "ready" ? volume : undefined;
}

/** Where a backing file's filesystem is mounted on this machine (one target per loop device). */
async function mountTargetsOf(backingFile: string): Promise<string[]> {
  const targets: string[] = [];
  for (const device of await loopDevicesFor(backingFile)) {
    const [first] = await mountsOfDevice(device);
    if (first) targets.push(first.target);
  }
  return targets;
}

/**
 * Copies a volume's backing file as one point in time (snapshot, clone): a filesystem mounted from it on this machine
 * is frozen for the copy (fsfreeze flushes it and holds writers back), so the copy is crash-consistent as a cloud
 * disk's snapshot is — a file being appended to comes back as a prefix, never torn — while writers wait only for the
 * copy (sparse, reflinked where it can be).
 */
export async function copyPointInTime(ctx: BlockContext, from: string, to: string): Promise<void> {
  const frozen: string[] = [];
  try {
    for (const target of await mountTargetsOf(from)) {
      await run("fsfreeze", ["--freeze", target]);
      frozen.push(target);
    }
    crashPoint(ctx, "frozen");
    await copySparse(from, to);
  } finally {
    for (const target of frozen) await thaw(target);
  }
}

/** Thaws what a copy froze; a filesystem that is not frozen (or gone) is left as it is. */
async function thaw(target: string): Promise<void> {
  await run("fsfreeze", ["--unfreeze", target]).catch(() => undefined);
}

/** Startup: a driver killed while copying left the source frozen; thaw what a half-made copy was reading. */
export async function thawInterruptedCopies(ctx: BlockContext): Promise<void> {
  const sources = new Set<string>();
  for (const snapshot of await ctx.state.snapshots.list()) {
    if (snapshot.state === "creating") sources.add(snapshot.sourceVolumeId);
  }
  for (const volume of await ctx.state.volumes.list()) {
    if (volume.state === "creating" && volume.contentSource?.type === "volume") sources.add(volume.contentSource.id);
  }
  for (const volumeId of sources) {
    for (const target of await mountTargetsOf(ctx.state.volumeFile(volumeId))) await thaw(target);
  }
}

/** Copies a backing file keeping it sparse (reflink where the filesystem can). */
async function copySparse(from: string, to: string): Promise<void> {
  await run("cp", ["--sparse=always", "--reflink=auto", from, to]);
}
