// Growing a volume on the node: the loop device learns the backing file's new size (losetup -c), then the
// filesystem grows into it. ext4 grows online through resize2fs, which needs CAP_SYS_RESOURCE; a process without
// it (some containers drop it) grows the filesystem offline instead: unmount every mount of the device, e2fsck +
// resize2fs, mount them all back. The volume is briefly unavailable, and the startup log says so.
import { Code, CsiError } from "../../errors.js";
import type { NodeExpandVolumeRequest__Output } from "../../generated/csi/v1/NodeExpandVolumeRequest.js";
import type { NodeExpandVolumeResponse } from "../../generated/csi/v1/NodeExpandVolumeResponse.js";
import type { BlockContext } from "./context.js";
import { run } from "./exec.js";
import { growFilesystem, growUnmountedExtFilesystem } from "./filesystem.js";
import { blockDeviceSize, loopDevicesFor, refreshLoopCapacity } from "./loop.js";
import { bindMount, mountDevice, mountsOfDevice, type MountInfo } from "./mount.js";
import { required } from "./request.js";
import { isVolumeId } from "./state.js";

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

/** Unmounts every mount of `device`, grows it offline, and puts every mount back as it was (first one the source). */
async function growOffline(device: string, mounts: MountInfo[]): Promise<void> {
  const unmounted: MountInfo[] = [];
  const remount = async () => {
    const [first, ...rest] = unmounted;
    if (!first) return;
    const fsOptions = first.fsOptions.filter((o) => o !== "rw" && o !== "ro");
    await mountDevice(device, first.target, first.fstype, [
      ...(first.vfsOptions.includes("ro") ? ["ro"] : []),
      ...fsOptions,
    ]);
    for (const m of rest) await bindMount(first.target, m.target, m.vfsOptions.includes("ro"));
  };
  try {
    for (const m of [...mounts].reverse()) {
      await run("umount", [m.target]);
      unmounted.unshift(m);
    }
  } catch (err) {
    await remount();
    throw new CsiError(
      Code.FAILED_PRECONDITION,
      `cannot grow the filesystem offline while it is busy (${err instanceof Error ? err.message : String(err)}); ` +
        "online ext4 resize needs CAP_SYS_RESOURCE, which this driver lacks",
    );
  }
  try {
    await growUnmountedExtFilesystem(device);
  } finally {
    await remount();
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
  return ctx.locks.with([`volume ${volumeId}`], async () => {
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
      else await growOffline(device, mounts);
    } else {
      if (mounts.length === 0)
        throw new CsiError(Code.FAILED_PRECONDITION, `volume ${volumeId} must be mounted to grow ${fsType}`);
      await growFilesystem(device, fsType, mounts[0].target);
    }
    ctx.log(`expanded the filesystem of volume ${volumeId} (${device}) to ${size} bytes`);
    return { capacity_bytes: size };
  });
}
