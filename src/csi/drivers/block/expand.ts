// Growing a volume on the node: the loop device learns the backing file's new size (losetup -c), then the
// filesystem grows into it. ext4 grows online through resize2fs, which needs CAP_SYS_RESOURCE; a process without
// it (some containers drop it) grows the filesystem offline instead: unmount every mount of the device, e2fsck +
// resize2fs, mount them all back. The volume is briefly unavailable, and the startup log says so.
import { Code, CsiError } from "../../errors.js";
import type { NodeExpandVolumeRequest__Output } from "../../generated/csi/v1/NodeExpandVolumeRequest.js";
import type { NodeExpandVolumeResponse } from "../../generated/csi/v1/NodeExpandVolumeResponse.js";
import { crashPoint, type BlockContext } from "./context.js";
import { run } from "./exec.js";
import { growFilesystem, growUnmountedExtFilesystem } from "./filesystem.js";
import { blockDeviceSize, loopDevicesFor, refreshLoopCapacity } from "./loop.js";
import { bindMount, isMountPoint, mountDevice, mountsOfDevice, type MountInfo } from "./mount.js";
import { required } from "./request.js";
import { isVolumeId, type Remount, type StagedRecord } from "./state.js";

const isExt = (fsType: string) => fsType === "ext4" || fsType === "ext3" || fsType === "ext2";

/** Bytes an ext2/3/4 filesystem covers (block count × block size from its superblock). */
async function extFilesystemBytes(device: string): Promise<number> {
  const { stdout } = await run("dumpe2fs", ["-h", device]);
  const field = (name: string) => Number(new RegExp(`^${name}:\\s*(\\d+)`, "m").exec(stdout)?.[1] ?? NaN);
  return field("Block count") * field("Block size");
}

/** Whether the filesystem leaves at least one block of the device unused (resize2fs works in whole blocks). */
async function extNeedsGrowth(device: string): Promise<boolean> {
  return (await extFilesystemBytes(device)) + 64 * 1024 <= (await blockDeviceSize(device));
}

/** Grows an unmounted ext filesystem to fill its device, if it does not already (restore or clone into a bigger volume). */
export async function growIfSmaller(device: string, fsType: string): Promise<void> {
  if (isExt(fsType) && (await extNeedsGrowth(device))) await growUnmountedExtFilesystem(device);
}

/** Mounts `remounts` back: the first from the device, the others bound from it, each ro or rw as it was. */
async function restoreMounts(device: string, remounts: Remount[]): Promise<void> {
  const [first, ...rest] = remounts;
  if (!first) return;
  if (!(await isMountPoint(first.target))) {
    await mountDevice(device, first.target, first.fstype, [...(first.readonly ? ["ro"] : []), ...first.fsOptions]);
  }
  for (const m of rest) if (!(await isMountPoint(m.target))) await bindMount(first.target, m.target, m.readonly);
}

/**
 * Grows a mounted ext filesystem without online resize: records the mounts (so a crash part way is repaired at
 * startup), unmounts them all, e2fsck + resize2fs, and mounts them back as they were.
 */
async function growOffline(
  ctx: BlockContext,
  record: StagedRecord,
  device: string,
  mounts: MountInfo[],
): Promise<void> {
  const remounts: Remount[] = mounts.map((m) => ({
    target: m.target,
    fstype: m.fstype,
    readonly: m.vfsOptions.includes("ro"),
    fsOptions: m.fsOptions.filter((o) => o !== "rw" && o !== "ro"),
  }));
  await ctx.state.staged.put(record.volumeId, { ...record, remounts });
  let busy: unknown;
  try {
    for (const m of [...mounts].reverse()) await run("umount", [m.target]);
  } catch (err) {
    busy = err;
  }
  crashPoint(ctx, "expand-after-unmount");
  try {
    if (!busy) await growUnmountedExtFilesystem(device);
  } finally {
    await restoreMounts(device, remounts);
    await ctx.state.staged.put(record.volumeId, record);
  }
  if (busy) {
    throw new CsiError(
      Code.FAILED_PRECONDITION,
      `cannot grow the filesystem offline while it is busy (${busy instanceof Error ? busy.message : String(busy)}); ` +
        "online ext4 resize needs CAP_SYS_RESOURCE, which this driver lacks",
    );
  }
}

/**
 * Startup repair: puts back mounts an offline grow took down before the driver died, growing the filesystem
 * first (the grow may not have run). Runs before the socket opens, so no call sees the half-done state.
 */
export async function repairInterruptedExpansions(ctx: BlockContext): Promise<void> {
  for (const record of await ctx.state.staged.list()) {
    if (!record.remounts) continue;
    const [device] = await loopDevicesFor(record.backingFile);
    if (device) {
      if ((await mountsOfDevice(device)).length === 0) await growUnmountedExtFilesystem(device);
      await restoreMounts(device, record.remounts);
      ctx.log(`restored the mounts of volume ${record.volumeId} after an interrupted expansion`);
    }
    const { remounts: _, ...rest } = record;
    await ctx.state.staged.put(record.volumeId, rest);
  }
}

export async function nodeExpandVolume(
  ctx: BlockContext,
  request: NodeExpandVolumeRequest__Output,
): Promise<NodeExpandVolumeResponse> {
  const volumeId = required(request.volume_id, "volume_id");
  required(request.volume_path, "volume_path");
  const record = isVolumeId(volumeId) ? await ctx.state.staged.get(volumeId) : undefined;
  if (!record)
    throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} is not staged on node ${ctx.nodeId}`);
  if (ctx.nodeUnavailable) throw new CsiError(Code.FAILED_PRECONDITION, ctx.nodeUnavailable);
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const [device] = await loopDevicesFor(record.backingFile);
    if (!device)
      throw new CsiError(Code.FAILED_PRECONDITION, `volume ${volumeId} is not attached on node ${ctx.nodeId}`);
    await refreshLoopCapacity(device);
    const size = await blockDeviceSize(device);
    const requiredBytes = request.capacity_range?.required_bytes ?? 0;
    if (requiredBytes > size) {
      throw new CsiError(
        Code.OUT_OF_RANGE,
        `capacity_range.required_bytes ${requiredBytes} is more than the volume's ${size} bytes; ControllerExpandVolume it first`,
      );
    }
    if (record.accessType === "block") return { capacity_bytes: size }; // raw block: the device size is the volume
    const fsType = record.fsType ?? "ext4";
    const mounts = await mountsOfDevice(device);
    if (isExt(fsType)) {
      if (!(await extNeedsGrowth(device))) return { capacity_bytes: size };
      if (mounts.length === 0) await growUnmountedExtFilesystem(device);
      else if (ctx.canResizeExtOnline) await growFilesystem(device, fsType, mounts[0].target);
      else await growOffline(ctx, record, device, mounts);
    } else {
      if (mounts.length === 0)
        throw new CsiError(Code.FAILED_PRECONDITION, `volume ${volumeId} must be mounted to grow ${fsType}`);
      await growFilesystem(device, fsType, mounts[0].target);
    }
    ctx.log(`expanded the filesystem of volume ${volumeId} (${device}) to ${size} bytes`);
    return { capacity_bytes: size };
  });
}
