// CSI volumes as the kubelet's csi plugin mounts them (pkg/volume/csi: csi_attacher.go, csi_mounter.go):
//   wait for the VolumeAttachment when the driver needs attaching (no CSIDriver object: it does),
//   NodeStageVolume once per node at plugins/kubernetes.io/csi/<driver>/<sha256(handle)>/globalmount when the
//   driver has STAGE_UNSTAGE_VOLUME, NodePublishVolume per pod at pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount.
// vol_data.json beside each records what is mounted there, for a restarted agent.
import { mkdir, readdir, rm, rmdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EventFailedMapVolume, EventFailedMountVolume } from "../../api/wellknown.js";
import type { Pod } from "../../api/core/types.js";
import { uniqueVolumeName } from "../../api/storage/attachmentnames.js";
import { Code, isCsiError } from "../../csi/errors.js";
import { isMountPoint } from "../../support/mount.js";
import { pluginNames, volDataFile } from "../paths.js";
import type { MountedVolume, StagedDevice } from "../volumemanager/actual.js";
import {
  describeCause,
  setUpAt,
  UncertainOperationError,
  VolumeOperationError,
  type PluginContext,
} from "./context.js";
import { setVolumeOwnership } from "./ownership.js";
import { publishBlockVolume, stageBlockVolume, unpublishBlockVolume, unstageBlockVolume } from "./csiblock.js";
import { reconstructCsiDevices, reconstructCsiVolume } from "./csireconstruct.js";
import {
  deviceOf,
  kubeletAppliesFSGroup,
  lifecycleModeError,
  newMounter,
  nodePublish,
  nodeRequest,
  nodeStage,
  nodeUnstage,
  uncertainUnlessFinal,
  volumeContext,
  type CsiVolume,
} from "./csivolume.js";
import { csiExpander } from "./expand.js";
import type { VolumePlugin } from "./plugin.js";

/** Whether the next step for this volume is staging (so the reconciler can key the step by device). */
export function needsStaging(ctx: PluginContext, volume: CsiVolume, staged: StagedDevice | undefined): boolean {
  if (!ctx.csi.has(volume.source.driver)) return false;
  return ctx.csi.get(volume.source.driver).stageUnstage && (!staged || staged.uncertain);
}

/**
 * NewMounter's check for a PV's filesystem volume: a CSIDriver that lists only Ephemeral takes no persistent
 * volumes, and the kubelet says so before it stages or publishes anything (raw block volumes are not asked).
 */
function refuseUnlessPersistent(ctx: PluginContext, volume: CsiVolume): void {
  if (volume.volumeMode === "Block") return;
  const refused = lifecycleModeError(ctx.csiDrivers, volume.source.driver, "Persistent");
  if (refused) throw new VolumeOperationError(newMounter, volume.pvName, refused);
}

/** MountDevice: NodeStageVolume at the volume's globalmount. One step; publishing is the next. */
export async function stageVolume(ctx: PluginContext, volume: CsiVolume): Promise<StagedDevice> {
  const { driver: driverName, volumeHandle } = volume.source;
  refuseUnlessPersistent(ctx, volume);
  const operation = "MountVolume.MountDevice";
  const request = await nodeRequest(
    ctx,
    volume,
    operation,
    "attacher.MountDevice failed to create newCsiDriverClient",
    "stage",
  );
  if (volume.volumeMode === "Block") return stageBlockVolume(ctx, volume, request);
  const stagingPath = ctx.paths.csiGlobalMount(driverName, volumeHandle);
  const device: StagedDevice = {
    uniqueName: deviceOf(volume),
    plugin: pluginNames.csi,
    driver: driverName,
    volumeHandle,
    stagingPath,
    uncertain: false,
  };
  try {
    await mkdir(dirname(stagingPath), { recursive: true, mode: 0o750 });
    const data = { driverName, volumeHandle, specVolID: volume.pvName, nodeName: ctx.nodeName, stagingPath };
    await writeFile(join(dirname(stagingPath), volDataFile), JSON.stringify(data));
    await nodeStage(volume, request, stagingPath);
  } catch (err) {
    const failure = new VolumeOperationError(operation, volume.pvName, describeCause(err));
    throw uncertainUnlessFinal(failure, err, { device: { ...device, uncertain: true } });
  }
  return device;
}

/** SetUp: NodePublishVolume at the pod's target path (the driver creates `mount`; we create its parent). */
export async function publishVolume(
  ctx: PluginContext,
  volume: CsiVolume,
  pod: Pod,
  key: string,
): Promise<MountedVolume> {
  const { driver: driverName, volumeHandle } = volume.source;
  refuseUnlessPersistent(ctx, volume);
  const operation = "MountVolume.SetUp";
  const request = await nodeRequest(ctx, volume, operation, "mounter.SetUpAt failed to get CSI client", "publish");
  if (volume.volumeMode === "Block") return publishBlockVolume(ctx, volume, pod, key, request);
  const dir = ctx.paths.podVolumeDir(volume.podUid, volume.plugin, volume.innerName);
  const targetPath = join(dir, "mount");
  const stagingPath = request.driver.stageUnstage ? ctx.paths.csiGlobalMount(driverName, volumeHandle) : "";
  const data = { driverName, volumeHandle, specVolID: volume.pvName, nodeName: ctx.nodeName, stagingPath };
  const mounted = setUpAt(volume, key, dir, { csi: { ...data, targetPath } });
  try {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    await writeFile(join(dir, volDataFile), JSON.stringify(data));
    await nodePublish(volume, request, { stagingPath, targetPath }, volumeContext(ctx, volume, pod));
  } catch (err) {
    const failure = new VolumeOperationError(operation, volume.pvName, describeCause(err));
    throw uncertainUnlessFinal(failure, err, { volume: { ...mounted, uncertain: true } });
  }
  if (kubeletAppliesFSGroup(ctx.csiDrivers.get(driverName)?.spec.fsGroupPolicy, volume, request.driver)) {
    try {
      await setVolumeOwnership(targetPath, volume.fsGroup, volume.fsGroupChangePolicy, false);
    } catch (err) {
      // Mounted but not usable by the pod: uncertain, so it is set up again (or torn down) rather than forgotten.
      const failure = new VolumeOperationError(
        operation,
        volume.pvName,
        `applyFSGroup failed for vol ${volumeHandle}: ${describeCause(err)}`,
      );
      throw new UncertainOperationError(failure, { volume: { ...mounted, uncertain: true } });
    }
  }
  return mounted;
}

/**
 * An inline volume's driver deletes the volume with its unpublish, so an unpublish that succeeded but was never
 * recorded here (the agent died in between) is answered NOT_FOUND when retried: with nothing mounted at the target,
 * that volume is already torn down, and the pod must not wait for it for ever.
 */
async function inlineVolumeGone(mounted: MountedVolume, err: unknown): Promise<boolean> {
  if (mounted.csi?.volumeLifecycleMode !== "Ephemeral" || !isCsiError(err) || err.code !== Code.NOT_FOUND) return false;
  return !(await isMountPoint(mounted.csi.targetPath));
}

/** TearDown: NodeUnpublishVolume, then the pod's volume directory goes. */
export async function unpublishVolume(ctx: PluginContext, mounted: MountedVolume): Promise<void> {
  if (mounted.csi?.volumeMode === "Block") return unpublishBlockVolume(ctx, mounted);
  if (mounted.csi) {
    const driver = ctx.csi.get(mounted.csi.driverName);
    try {
      await driver.client.node.NodeUnpublishVolume({
        volume_id: mounted.csi.volumeHandle,
        target_path: mounted.csi.targetPath,
      });
    } catch (err) {
      if (!(await inlineVolumeGone(mounted, err))) {
        throw new VolumeOperationError("UnmountVolume.TearDown", mounted.innerName, describeCause(err));
      }
    }
  }
  // rmdir, never rm -r: a directory that is still mounted or holds data is not ours to delete.
  await rmdir(join(mounted.dir, "mount")).catch(() => undefined);
  await rm(join(mounted.dir, volDataFile), { force: true });
  await rmdir(mounted.dir);
}

/**
 * After a NodeStageVolume refused for certain (nothing staged): remove what stageVolume wrote for it. rmdir only, so
 * a directory the driver did put something in stays for unstaging.
 */
export async function forgetStaging(ctx: PluginContext, volume: CsiVolume): Promise<void> {
  if (volume.volumeMode === "Block") {
    const dataDir = ctx.paths.csiBlockDataDir(volume.pvName);
    // Another pod's publish of this PV (a driver without staging) still needs the data file.
    const published = await readdir(ctx.paths.csiBlockPublishDir(volume.pvName)).catch(() => []);
    await rmdir(ctx.paths.csiBlockStagingPath(volume.pvName)).catch(() => undefined);
    if (published.length > 0) return;
    await rm(join(dataDir, volDataFile), { force: true });
    await rmdir(dataDir).catch(() => undefined);
    await rmdir(dirname(dataDir)).catch(() => undefined);
    return;
  }
  const stagingPath = ctx.paths.csiGlobalMount(volume.source.driver, volume.source.volumeHandle);
  await rmdir(stagingPath).catch(() => undefined);
  await rm(join(dirname(stagingPath), volDataFile), { force: true });
  await rmdir(dirname(stagingPath)).catch(() => undefined);
}

/** UnmountDevice: NodeUnstageVolume, then the staging directory goes. */
export async function unstageVolume(ctx: PluginContext, device: StagedDevice): Promise<void> {
  if (device.blockPvName !== undefined) return unstageBlockVolume(ctx, device, device.blockPvName);
  await nodeUnstage(ctx, device, "UnmountDevice");
  await rm(join(dirname(device.stagingPath), volDataFile), { force: true });
  await rmdir(dirname(device.stagingPath));
}

/** A volume published from a staged device: that device, for unstaging once the volume is torn down. */
function publishedFrom(mounted: MountedVolume): StagedDevice | undefined {
  if (!mounted.csi?.stagingPath) return undefined;
  return {
    uniqueName: uniqueVolumeName(mounted.csi.driverName, mounted.csi.volumeHandle),
    plugin: pluginNames.csi,
    driver: mounted.csi.driverName,
    volumeHandle: mounted.csi.volumeHandle,
    stagingPath: mounted.csi.stagingPath,
    // Found on disk at start, never proven staged: unstaging it is idempotent.
    uncertain: true,
    ...(mounted.csi.volumeMode === "Block" ? { blockPvName: mounted.csi.specVolID } : {}),
  };
}

/** kubernetes.io/csi: filesystem volumes mounted, raw block volumes (csiblock.ts) mapped. */
export const csiPlugin: VolumePlugin<CsiVolume> = {
  name: pluginNames.csi,
  setUp: (ctx, volume, pod, key) => publishVolume(ctx, volume, pod, key),
  tearDown: unpublishVolume,
  reconstructVolume: reconstructCsiVolume,
  // operation_generator.go: raw block volumes are mapped, not mounted; their failures are FailedMapVolume.
  failedReason: (volume) => (volume.volumeMode === "Block" ? EventFailedMapVolume : EventFailedMountVolume),
  deviceMounter: {
    deviceOf,
    needsStaging,
    mountDevice: stageVolume,
    forgetDevice: forgetStaging,
    unmountDevice: unstageVolume,
    publishedFrom,
    reconstructDevices: reconstructCsiDevices,
  },
  expander: csiExpander,
};
