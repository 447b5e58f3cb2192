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

/**
 * Flushes a volume's filesystem to its backing file if it is mounted on this machine, so a copy of the file
 * (snapshot, clone) holds what the user wrote before asking. Crash-consistent, as a cloud disk snapshot is.
 */
export async function flushIfMounted(backingFile: string): Promise<void> {
  for (const device of await loopDevicesFor(backingFile)) {
    const [first] = await mountsOfDevice(device);
    if (first) await run("sync", ["-f", first.target]);
  }
}

/** Copies a backing file keeping it sparse (reflink where the filesystem can). */
export async function copySparse(from: string, to: string): Promise<void> {
  await run("cp", ["--sparse=always", "--reflink=auto", from, to]);
}
