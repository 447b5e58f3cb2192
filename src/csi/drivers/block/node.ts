// Node RPCs: attach the backing file as a loop device, format it once, mount it at the staging path, bind-mount
// it into each target. The kernel (losetup -j, findmnt) is the truth about what is set up, so every call checks
// it first and does only what is missing: repeating a call, or retrying after a crash, converges.
import { lstat, mkdir, realpath, rmdir, stat, statfs, unlink, writeFile } from "node:fs/promises";
import { basename, dirname, relative, resolve } from "node:path";
import { Code, CsiError } from "../../errors.js";
import type { NodeGetVolumeStatsRequest__Output } from "../../generated/csi/v1/NodeGetVolumeStatsRequest.js";
import type { NodeGetVolumeStatsResponse } from "../../generated/csi/v1/NodeGetVolumeStatsResponse.js";
import type { NodePublishVolumeRequest__Output } from "../../generated/csi/v1/NodePublishVolumeRequest.js";
import type { NodeStageVolumeRequest__Output } from "../../generated/csi/v1/NodeStageVolumeRequest.js";
import type { NodeUnpublishVolumeRequest__Output } from "../../generated/csi/v1/NodeUnpublishVolumeRequest.js";
import type { NodeUnstageVolumeRequest__Output } from "../../generated/csi/v1/NodeUnstageVolumeRequest.js";
import { backingFileKey, crashPoint, fsTypeContextKey, type BlockContext } from "./context.js";
import { detectFilesystem, makeFilesystem } from "./filesystem.js";
import { growIfSmaller } from "./expand.js";
import { isPublishedElsewhere, releaseLeftovers } from "./handover.js";
import { attachLoop, blockDeviceSize, detachLoop, loopDevicesFor } from "./loop.js";
import { bindMount, isMountPoint, mountDevice, mountsAt, mountsOfDevice, unmountAll } from "./mount.js";
import { parseNodePath } from "../requests.js";
import { chooseFsType, parseCapability, required } from "./request.js";
import { isVolumeId, type StagedRecord } from "./state.js";

export function assertNodeAvailable(ctx: BlockContext): void {
  if (ctx.nodeUnavailable) throw new CsiError(Code.FAILED_PRECONDITION, ctx.nodeUnavailable);
}

/**
 * The backing file NodeStage attaches: the publish context's (ControllerPublish put it there), which must lie in
 * this cloud's volumes dir — a caller cannot make us attach an arbitrary file. Without one, the state dir's record.
 */
async function backingFileFor(
  ctx: BlockContext,
  volumeId: string,
  publishContext: Record<string, string>,
): Promise<string> {
  if (!isVolumeId(volumeId)) throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} not found`);
  const expected = ctx.state.volumeFile(volumeId);
  const given = publishContext[backingFileKey];
  if (given && resolve(given) !== expected) {
    throw new CsiError(
      Code.INVALID_ARGUMENT,
      `publish_context[${backingFileKey}]: ${JSON.stringify(given)} is not volume ${volumeId}'s backing file in ${ctx.state.stateDir}`,
    );
  }
  const volume = await ctx.state.volumes.get(volumeId);
  const exists = await stat(expected).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!volume || volume.state !== "ready" || !exists) {
    throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} not found`);
  }
  // A cloud disk is only visible on the node it is attached to: ControllerPublishVolume decides which one.
  if (volume.publishedTo?.nodeId !== ctx.nodeId) {
    throw new CsiError(
      Code.FAILED_PRECONDITION,
      volume.publishedTo
        ? `volume ${volumeId} is published to node ${volume.publishedTo.nodeId}, not ${ctx.nodeId}`
        : `volume ${volumeId} is not published to node ${ctx.nodeId}; ControllerPublishVolume it first`,
    );
  }
  return expected;
}

/** The device a mount point shows, resolving findmnt's "/dev/loop3" (our mounts are whole-device mounts). */
async function deviceMountedAt(path: string): Promise<string | undefined> {
  const mounts = await mountsAt(path);
  return mounts.length > 0 ? mounts[mounts.length - 1].source : undefined;
}

export async function nodeStageVolume(ctx: BlockContext, request: NodeStageVolumeRequest__Output): Promise<object> {
  const volumeId = required(request.volume_id, "volume_id");
  const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
  const capability = parseCapability(request.volume_capability, "volume_capability");
  assertNodeAvailable(ctx);
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const backingFile = await backingFileFor(ctx, volumeId, request.publish_context);
    // What a node that had this volume before left on this shared kernel is cut off first (handover.ts).
    await releaseLeftovers(ctx, volumeId, backingFile);
    const device = await attachLoop(backingFile);
    const record: StagedRecord = { volumeId, backingFile, device, stagingPath, accessType: capability.accessType };
    if (capability.accessType === "block") {
      // Raw block: the loop device is the staged volume; NodePublish binds the device node into the target.
      await ctx.state.staged.put(volumeId, record);
      return {};
    }
    const fsType = chooseFsType(capability.fsType, request.volume_context[fsTypeContextKey] ?? "");
    if (!ctx.fsTypes.includes(fsType)) {
      throw new CsiError(
        Code.INVALID_ARGUMENT,
        `volume_capability.mount.fs_type: mkfs.${fsType} is not installed on node ${ctx.nodeId}`,
      );
    }
    // Written before formatting, so NodeUnstage after a crash here still knows which loop device to release.
    await ctx.state.staged.put(volumeId, { ...record, fsType });

    const mountedDevice = await deviceMountedAt(stagingPath);
    if (mountedDevice === device) return {}; // already staged: the same call again
    if (mountedDevice) {
      throw new CsiError(
        Code.ALREADY_EXISTS,
        `staging_target_path ${stagingPath} already has ${mountedDevice} mounted, not volume ${volumeId} (${device})`,
      );
    }
    const existing = await detectFilesystem(device);
    if (!existing) {
      await makeFilesystem(device, fsType);
      ctx.log(`formatted volume ${volumeId} (${device}) as ${fsType}`);
      crashPoint(ctx, "stage-after-format");
    } else if (existing !== fsType) {
      // Never reformat: the data is the user's. Say what is there, as kubelet's mount-utils does.
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `failed to mount volume ${volumeId} as "${fsType}": it already contains ${existing}; refusing to reformat it`,
      );
    } else {
      // A restore or clone into a bigger volume, or an expansion while unstaged: grow before mounting (offline).
      await growIfSmaller(device, existing);
    }
    await mkdir(stagingPath, { recursive: true });
    await mountDevice(device, stagingPath, fsType, capability.mountFlags);
    ctx.log(`staged volume ${volumeId} (${device}, ${fsType}) at ${stagingPath}`);
    return {};
  });
}

export async function nodeUnstageVolume(ctx: BlockContext, request: NodeUnstageVolumeRequest__Output): Promise<object> {
  const volumeId = required(request.volume_id, "volume_id");
  const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
  assertNodeAvailable(ctx);
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const record = isVolumeId(volumeId) ? await ctx.state.staged.get(volumeId) : undefined;
    if (isVolumeId(volumeId) && (await isPublishedElsewhere(ctx, volumeId))) {
      return unstageLostVolume(ctx, volumeId, stagingPath, record);
    }
    const backingFile = record?.backingFile ?? (isVolumeId(volumeId) ? ctx.state.volumeFile(volumeId) : undefined);
    // Refused before anything is undone: a volume still mounted elsewhere keeps its staging mount, so a retry (or
    // a publish meanwhile) finds it as it was.
    const devices = backingFile ? await loopDevicesFor(backingFile) : [];
    for (const device of devices) {
      const still = (await mountsOfDevice(device)).filter((m) => m.target !== stagingPath);
      if (still.length > 0) {
        throw new CsiError(
          Code.FAILED_PRECONDITION,
          `volume ${volumeId} is still mounted at ${still.map((m) => m.target).join(", ")}; NodeUnpublishVolume it first`,
        );
      }
    }
    await unmountAll(stagingPath);
    // Detach releases the loop device: the "disk" is gone from this node until the next NodeStage.
    if (backingFile) await detachLoop(backingFile);
    if (record) await ctx.state.staged.remove(volumeId);
    ctx.log(`unstaged volume ${volumeId} from ${stagingPath}`);
    return {};
  });
}

/**
 * NodeUnstage on a node that lost the volume to another (failover): only this node's staging mount is taken down,
 * and no loop device is detached: the volume's devices are its new owner's to release (handover.ts).
 */
async function unstageLostVolume(
  ctx: BlockContext,
  volumeId: string,
  stagingPath: string,
  record: StagedRecord | undefined,
): Promise<object> {
  const device = await deviceMountedAt(stagingPath);
  if (device) {
    const still = (await mountsOfDevice(device)).filter((m) => m.target !== stagingPath);
    if (still.length > 0) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `volume ${volumeId} is still mounted at ${still.map((m) => m.target).join(", ")}; NodeUnpublishVolume it first`,
      );
    }
  }
  await unmountAll(stagingPath);
  if (record) await ctx.state.staged.remove(volumeId);
  ctx.log(`unstaged volume ${volumeId} from ${stagingPath}; it is published to another node, which owns its device`);
  return {};
}

export async function nodePublishVolume(ctx: BlockContext, request: NodePublishVolumeRequest__Output): Promise<object> {
  const volumeId = required(request.volume_id, "volume_id");
  const targetPath = parseNodePath(request.target_path, "target_path");
  const capability = parseCapability(request.volume_capability, "volume_capability");
  const stagingPath = parseNodePath(request.staging_target_path, "staging_target_path");
  assertNodeAvailable(ctx);
  const readonly = request.readonly || capability.readonlyMode;
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    const record = isVolumeId(volumeId) ? await ctx.state.staged.get(volumeId) : undefined;
    if (!record) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `volume ${JSON.stringify(volumeId)} must be staged before it is published`,
      );
    }
    if (record.accessType !== capability.accessType) {
      throw new CsiError(
        Code.INVALID_ARGUMENT,
        `volume_capability: volume ${volumeId} was staged for ${record.accessType} access, not ${capability.accessType}`,
      );
    }
    const [device] = await loopDevicesFor(record.backingFile);
    if (!device)
      throw new CsiError(Code.FAILED_PRECONDITION, `volume ${volumeId} is not attached; NodeStageVolume it again`);
    const [existing] = (await mountsAt(targetPath)).slice(-1);
    if (existing) {
      // Already published here: the same call again is OK; something else, or the other ro/rw, is not (spec
      // NodePublishVolume: "volume published but is incompatible" → ALREADY_EXISTS).
      const ours = existing.source === device || existing.source.endsWith(`[/${basename(device)}]`); // raw block: "devtmpfs[/loop3]"
      if (!ours) {
        throw new CsiError(Code.ALREADY_EXISTS, `target_path ${targetPath} already has ${existing.source} mounted`);
      }
      if (existing.vfsOptions.includes("ro") !== readonly) {
        throw new CsiError(
          Code.ALREADY_EXISTS,
          `volume ${volumeId} is already published at ${targetPath} ${readonly ? "read-write" : "read-only"}`,
        );
      }
      return {};
    }
    if (record.accessType === "block") {
      // The target of a raw block volume is a file the device node is bound onto.
      await mkdir(dirname(targetPath), { recursive: true });
      await writeFile(targetPath, "", { flag: "a" });
      await bindMount(device, targetPath, readonly);
    } else {
      if ((await deviceMountedAt(stagingPath)) === undefined) {
        throw new CsiError(
          Code.FAILED_PRECONDITION,
          `volume ${volumeId} is not mounted at staging_target_path ${stagingPath}`,
        );
      }
      await mkdir(targetPath, { recursive: true });
      // Mount flags were applied at NodeStage; a bind mount shares that superblock, so only ro/rw differs here.
      await bindMount(stagingPath, targetPath, readonly);
    }
    ctx.log(`published volume ${volumeId} at ${targetPath}${readonly ? " (read-only)" : ""}`);
    return {};
  });
}

export async function nodeUnpublishVolume(
  ctx: BlockContext,
  request: NodeUnpublishVolumeRequest__Output,
): Promise<object> {
  const volumeId = required(request.volume_id, "volume_id");
  const targetPath = parseNodePath(request.target_path, "target_path");
  assertNodeAvailable(ctx);
  return ctx.locks.run([`volume ${volumeId}`], async () => {
    await unmountAll(targetPath);
    // The spec asks the plugin to remove the target it created; rm only what is left after unmounting (an empty
    // dir or the raw-block placeholder file), never a tree that might still be someone's data.
    const info = await lstat(targetPath).catch(() => undefined);
    if (info?.isDirectory()) await rmdir(targetPath);
    else if (info) await unlink(targetPath);
    return {};
  });
}

/** Is `path` inside `dir` (after resolving symlinks)? */
async function isWithin(path: string, dir: string): Promise<boolean> {
  const real = await realpath(path).catch(() => undefined);
  const base = await realpath(dir).catch(() => undefined);
  if (!real || !base) return false;
  const rel = relative(base, real);
  return rel === "" || (!rel.startsWith("..") && !rel.startsWith("/"));
}

export async function nodeGetVolumeStats(
  ctx: BlockContext,
  request: NodeGetVolumeStatsRequest__Output,
): Promise<NodeGetVolumeStatsResponse> {
  const volumeId = required(request.volume_id, "volume_id");
  const volumePath = required(request.volume_path, "volume_path");
  const record = isVolumeId(volumeId) ? await ctx.state.staged.get(volumeId) : undefined;
  if (!record)
    throw new CsiError(Code.NOT_FOUND, `volume ${JSON.stringify(volumeId)} is not staged on node ${ctx.nodeId}`);
  const info = await stat(volumePath).catch(() => undefined);
  if (!info) throw new CsiError(Code.NOT_FOUND, `volume_path ${JSON.stringify(volumePath)} does not exist`);
  const mounted = await isMountPoint(resolve(volumePath));
  if (info.isBlockDevice() || record.accessType === "block") {
    const [device] = await loopDevicesFor(record.backingFile);
    const total = device ? await blockDeviceSize(device) : 0;
    return {
      usage: [{ unit: "BYTES", total }],
      volume_condition: device
        ? { abnormal: false, message: "volume is attached" }
        : { abnormal: true, message: "the volume's loop device is gone" },
    };
  }
  if (!mounted && !(await isWithin(volumePath, record.stagingPath))) {
    throw new CsiError(Code.NOT_FOUND, `volume ${volumeId} is not mounted at ${volumePath}`);
  }
  const fs = await statfs(volumePath);
  const total = fs.blocks * fs.bsize;
  const available = fs.bavail * fs.bsize;
  return {
    usage: [
      { unit: "BYTES", total, available, used: total - fs.bfree * fs.bsize },
      { unit: "INODES", total: fs.files, available: fs.ffree, used: fs.files - fs.ffree },
    ],
    volume_condition: { abnormal: false, message: "volume is mounted" },
  };
}
