// Raw block CSI volumes (volumeMode: Block), as the kubelet's csi block mapper does it (pkg/volume/csi/csi_block.go):
//   NodeStageVolume once per node at plugins/kubernetes.io/csi/volumeDevices/staging/<pv> (a directory the driver
//   may use), NodePublishVolume per pod at volumeDevices/publish/<pv>/<pod uid> (a file the driver binds the device
//   onto), and the pod's pods/<uid>/volumeDevices/kubernetes.io~csi/<pv> a symlink to that file (MapBlockVolume),
//   which the runtime hands to containers at their volumeDevices[].devicePath.
// vol_data.json lives in volumeDevices/<pv>/data, for a restarted agent. Nothing is formatted or mounted by us.
import { lstat, mkdir, readdir, readlink, rm, rmdir, symlink, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Pod } from "../../api/core/types.js";
import { uniqueVolumeName } from "../../api/storage/attachmentnames.js";
import { pluginNames, volDataFile } from "../paths.js";
import type { MountedVolume, StagedDevice } from "../volumemanager/actual.js";
import { describeCause, VolumeOperationError, type PluginContext } from "./context.js";
import {
  nodePublish,
  nodeStage,
  nodeUnstage,
  uncertainUnlessFinal,
  volumeContext,
  type CsiVolume,
  type NodeRequest,
} from "./csivolume.js";

async function writeVolData(ctx: PluginContext, volume: CsiVolume): Promise<void> {
  const dataDir = ctx.paths.csiBlockDataDir(volume.pvName);
  await mkdir(dataDir, { recursive: true, mode: 0o750 });
  const { driver: driverName, volumeHandle } = volume.source;
  const data = { driverName, volumeHandle, specVolID: volume.pvName, nodeName: ctx.nodeName, volumeMode: "Block" };
  await writeFile(join(dataDir, volDataFile), JSON.stringify(data));
}

/** SetUpDevice → stageVolumeForBlock: NodeStageVolume with a block capability at volumeDevices/staging/<pv>. */
export async function stageBlockVolume(
  ctx: PluginContext,
  volume: CsiVolume,
  request: NodeRequest,
): Promise<StagedDevice> {
  const { driver: driverName, volumeHandle } = volume.source;
  const stagingPath = ctx.paths.csiBlockStagingPath(volume.pvName);
  const device: StagedDevice = {
    uniqueName: uniqueVolumeName(driverName, volumeHandle),
    plugin: pluginNames.csi,
    driver: driverName,
    volumeHandle,
    stagingPath,
    uncertain: false,
    blockPvName: volume.pvName,
  };
  try {
    await writeVolData(ctx, volume);
    await mkdir(stagingPath, { recursive: true, mode: 0o750 });
    await nodeStage(volume, request, stagingPath);
  } catch (err) {
    // operation_generator.go GenerateMapVolumeFunc: block failures are MapVolume.*, reported as FailedMapVolume.
    const failure = new VolumeOperationError("MapVolume.SetUpDevice", volume.pvName, describeCause(err));
    throw uncertainUnlessFinal(failure, err, { device: { ...device, uncertain: true } });
  }
  return device;
}

/** MapPodDevice → publishVolumeForBlock, then MapBlockVolume's pod symlink. */
export async function publishBlockVolume(
  ctx: PluginContext,
  volume: CsiVolume,
  pod: Pod,
  key: string,
  request: NodeRequest,
): Promise<MountedVolume> {
  const { driver: driverName, volumeHandle } = volume.source;
  const podUid = pod.metadata.uid ?? "";
  const stagingPath = request.driver.stageUnstage ? ctx.paths.csiBlockStagingPath(volume.pvName) : "";
  const targetPath = ctx.paths.csiBlockPublishPath(volume.pvName, podUid);
  const mapPath = ctx.paths.podDeviceMapPath(podUid, volume.plugin, volume.innerName);
  const mounted: MountedVolume = {
    key,
    podUid,
    plugin: volume.plugin,
    innerName: volume.innerName,
    dir: mapPath,
    csi: {
      driverName,
      volumeHandle,
      specVolID: volume.pvName,
      nodeName: ctx.nodeName,
      stagingPath: stagingPath || undefined,
      targetPath,
      volumeMode: "Block",
    },
    uncertain: false,
  };
  try {
    await writeVolData(ctx, volume);
    await mkdir(dirname(targetPath), { recursive: true, mode: 0o750 });
    await nodePublish(volume, request, { stagingPath, targetPath }, volumeContext(ctx, volume, pod));
    await mkdir(dirname(mapPath), { recursive: true, mode: 0o750 });
    // Idempotent: a link left by an earlier try (or a previous agent) that points elsewhere is replaced.
    const existing = await readlink(mapPath).catch(() => undefined);
    if (existing !== targetPath) {
      if (existing !== undefined) await unlink(mapPath);
      await symlink(targetPath, mapPath);
    }
  } catch (err) {
    const failure = new VolumeOperationError("MapVolume.MapPodDevice", volume.pvName, describeCause(err));
    throw uncertainUnlessFinal(failure, err, { volume: { ...mounted, uncertain: true } });
  }
  return mounted;
}

/** UnmapPodDevice: the pod's symlink goes, NodeUnpublishVolume, then the empty publish dir. */
export async function unpublishBlockVolume(ctx: PluginContext, mounted: MountedVolume): Promise<void> {
  if (!mounted.csi) return;
  const driver = ctx.csi.get(mounted.csi.driverName);
  const info = await lstat(mounted.dir).catch(() => undefined);
  if (info?.isSymbolicLink()) await unlink(mounted.dir);
  try {
    await driver.client.node.NodeUnpublishVolume({
      volume_id: mounted.csi.volumeHandle,
      target_path: mounted.csi.targetPath,
    });
  } catch (err) {
    throw new VolumeOperationError("UnmapVolume.UnmapPodDevice", mounted.innerName, describeCause(err));
  }
  await rm(mounted.csi.targetPath, { force: true }).catch(() => undefined);
  const publishDir = dirname(mounted.csi.targetPath);
  if ((await readdir(publishDir).catch(() => ["?"])).length === 0) await rmdir(publishDir).catch(() => undefined);
  // A driver without STAGE_UNSTAGE leaves no staged device whose unstaging would remove the data dir.
  if (!mounted.csi.stagingPath && (await readdir(publishDir).catch(() => [])).length === 0) {
    await removeDataDir(ctx, mounted.csi.specVolID);
  }
}

/** TearDownDevice → unstageVolumeForBlock: NodeUnstageVolume, then the staging and data dirs go. */
export async function unstageBlockVolume(ctx: PluginContext, device: StagedDevice, pvName: string): Promise<void> {
  await nodeUnstage(ctx, device, "UnmapDevice.TearDownDevice");
  await removeDataDir(ctx, pvName);
}

async function removeDataDir(ctx: PluginContext, pvName: string): Promise<void> {
  const dataDir = ctx.paths.csiBlockDataDir(pvName);
  await rm(join(dataDir, volDataFile), { force: true });
  await rmdir(dataDir).catch(() => undefined);
  await rmdir(dirname(dataDir)).catch(() => undefined);
}
