// The csi plugin's half of reconstruction after an agent restart (reconstruct.go, csi_plugin.go
// ConstructVolumeSpec): what each vol_data.json says was published or staged, certain only when the kernel's mount
// table shows it. A raw block volume's publish file is bound, not mounted on a directory, and its staging directory
// is the driver's: a staged block device is never provable and is always uncertain.
import { readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { NodePaths } from "../paths.js";
import { uniqueVolumeName } from "../../api/storage/attachmentnames.js";
import { csiVolumeDevicesDirName, dirEntries, pluginNames, volDataFile } from "../paths.js";
import type { CsiVolumeData, MountedVolume, StagedDevice } from "../volumemanager/actual.js";
import type { FoundVolume } from "./plugin.js";

async function readVolData(file: string): Promise<CsiVolumeData | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, "utf8"));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const data = parsed as Record<string, unknown>;
    if (typeof data.driverName !== "string" || typeof data.volumeHandle !== "string") return undefined;
    return {
      driverName: data.driverName,
      volumeHandle: data.volumeHandle,
      specVolID: typeof data.specVolID === "string" ? data.specVolID : "",
      nodeName: typeof data.nodeName === "string" ? data.nodeName : undefined,
      stagingPath: typeof data.stagingPath === "string" && data.stagingPath ? data.stagingPath : undefined,
      ...(data.volumeMode === "Block" ? { volumeMode: "Block" as const } : {}),
      ...(data.volumeLifecycleMode === "Ephemeral" ? { volumeLifecycleMode: "Ephemeral" as const } : {}),
    };
  } catch {
    return undefined;
  }
}

/** A pod's CSI volume directory: certainly published when its `mount` target is a mount point. */
export async function reconstructCsiVolume(
  found: FoundVolume,
  mountPoints: ReadonlySet<string>,
): Promise<MountedVolume> {
  const data = await readVolData(join(found.dir, volDataFile));
  // No vol_data.json: the agent died before it published anything here; only the directory is left.
  if (!data) return { ...found, uncertain: true };
  const targetPath = join(found.dir, "mount");
  return { ...found, csi: { ...data, targetPath }, uncertain: !mountPoints.has(targetPath) };
}

/** Every pod's raw block volumes, then every staged device (filesystem and raw block). */
export async function reconstructCsiDevices(
  paths: NodePaths,
  podUids: readonly string[],
  mountPoints: ReadonlySet<string>,
): Promise<{ volumes: MountedVolume[]; devices: StagedDevice[] }> {
  const volumes: MountedVolume[] = [];
  for (const podUid of podUids) volumes.push(...(await reconstructBlockVolumes(paths, podUid, mountPoints)));
  const devices: StagedDevice[] = [];
  const csiDir = join(paths.root, "plugins", pluginNames.csi);
  for (const driver of await dirEntries(csiDir)) {
    if (driver === csiVolumeDevicesDirName) continue; // raw block volumes, read below
    for (const hash of await dirEntries(join(csiDir, driver))) {
      const data = await readVolData(join(csiDir, driver, hash, volDataFile));
      if (!data) continue;
      const stagingPath = join(csiDir, driver, hash, "globalmount");
      devices.push({
        uniqueName: uniqueVolumeName(data.driverName, data.volumeHandle),
        plugin: pluginNames.csi,
        driver: data.driverName,
        volumeHandle: data.volumeHandle,
        stagingPath,
        uncertain: !mountPoints.has(stagingPath),
      });
    }
  }
  devices.push(...(await reconstructBlockDevices(paths)));
  return { volumes, devices };
}

const isDir = (path: string) =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

/**
 * A pod's raw block volumes: each pods/<uid>/volumeDevices/kubernetes.io~csi/<pv> symlink, with what it maps from
 * volumeDevices/<pv>/data/vol_data.json. Published when the publish file is a mount point (the device bound on it).
 */
async function reconstructBlockVolumes(
  paths: NodePaths,
  podUid: string,
  mountPoints: ReadonlySet<string>,
): Promise<MountedVolume[]> {
  const plugin = pluginNames.csi;
  const dir = join(paths.podVolumeDevicesDir(podUid), "kubernetes.io~csi");
  const out: MountedVolume[] = [];
  for (const pvName of await dirEntries(dir)) {
    const mapPath = join(dir, pvName);
    const data = await readVolData(join(paths.csiBlockDataDir(pvName), volDataFile));
    if (!data) {
      // The link is made after publishing, which needs the data file: without it nothing can be torn down.
      await unlink(mapPath).catch(() => undefined);
      continue;
    }
    const targetPath = paths.csiBlockPublishPath(pvName, podUid);
    const stagingPath = paths.csiBlockStagingPath(pvName);
    out.push({
      key: `${podUid}/${plugin}/${pvName}`,
      podUid,
      plugin,
      innerName: pvName,
      dir: mapPath,
      csi: {
        ...data,
        volumeMode: "Block",
        targetPath,
        stagingPath: (await isDir(stagingPath)) ? stagingPath : undefined,
      },
      uncertain: !mountPoints.has(targetPath),
    });
  }
  return out;
}

/** Staged raw block volumes: a data dir with a staging dir beside it. Never provable from the mount table. */
async function reconstructBlockDevices(paths: NodePaths): Promise<StagedDevice[]> {
  const out: StagedDevice[] = [];
  for (const pvName of await dirEntries(paths.csiVolumeDevicesDir)) {
    if (pvName === "staging" || pvName === "publish") continue;
    const data = await readVolData(join(paths.csiBlockDataDir(pvName), volDataFile));
    const stagingPath = paths.csiBlockStagingPath(pvName);
    if (!data || !(await isDir(stagingPath))) continue;
    out.push({
      uniqueName: uniqueVolumeName(data.driverName, data.volumeHandle),
      plugin: pluginNames.csi,
      driver: data.driverName,
      volumeHandle: data.volumeHandle,
      stagingPath,
      uncertain: true,
      blockPvName: pvName,
    });
  }
  return out;
}
