// The actual state of the world (pkg/kubelet/volumemanager/cache/actual_state_of_world.go): which pod volumes
// are set up and which CSI volumes are staged on this node. Filled by the reconciler as its steps succeed, and
// at start reconstructed from the kubelet's directory layout and the kernel's mount table
// (reconstruct.go), so a restarted agent unmounts what no pod needs and never mounts anything twice.
import { readdir, readFile, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { listMounts } from "../../support/mount.js";
import type { NodePaths } from "../paths.js";
import {
  csiUniqueVolumeName,
  csiVolumeDevicesDirName,
  pluginNames,
  unescapeQualifiedName,
  volDataFile,
} from "../paths.js";

export interface CsiVolumeData {
  driverName: string;
  volumeHandle: string;
  /** The PV (spec volume) name. */
  specVolID: string;
  nodeName?: string;
  /** Where the volume was staged, when it was (empty when the driver does not stage). */
  stagingPath?: string;
  /** "Block" for a raw block volume: published at volumeDevices/publish/<pv>/<pod uid>, not mounted. */
  volumeMode?: "Block";
}

export interface MountedVolume {
  key: string;
  podUid: string;
  plugin: string;
  innerName: string;
  /** The volume's directory (for CSI, the parent of the `mount` target). */
  dir: string;
  csi?: CsiVolumeData & { targetPath: string };
  /** configMap/secret: the resourceVersion written (or "absent" for an optional missing source). */
  sourceVersion?: string;
  /** Found on disk at start but not proven set up: set up again (every setUp is idempotent) or torn down. */
  uncertain: boolean;
}

export interface StagedDevice {
  /** "kubernetes.io/csi/<driver>^<handle>" */
  uniqueName: string;
  driver: string;
  volumeHandle: string;
  stagingPath: string;
  /** From the disk at start, not proven staged: unstaged if unused, re-staged (idempotent) if needed. */
  uncertain: boolean;
  /** A raw block volume's PV name: its staging and data dirs are volumeDevices/staging/<pv> and volumeDevices/<pv>. */
  blockPvName?: string;
}

export class ActualState {
  readonly volumes = new Map<string, MountedVolume>();
  readonly devices = new Map<string, StagedDevice>();

  markMounted(volume: MountedVolume): void {
    this.volumes.set(volume.key, volume);
  }
  markUnmounted(key: string): void {
    this.volumes.delete(key);
  }
  markStaged(device: StagedDevice): void {
    this.devices.set(device.uniqueName, device);
  }
  markUnstaged(uniqueName: string): void {
    this.devices.delete(uniqueName);
  }
  volumesOfPod(podUid: string): MountedVolume[] {
    return [...this.volumes.values()].filter((v) => v.podUid === podUid);
  }
  /** The staged devices some pod volume still publishes (one pass over the volumes). */
  publishedDevices(): Set<string> {
    const out = new Set<string>();
    for (const v of this.volumes.values())
      if (v.csi) out.add(csiUniqueVolumeName(v.csi.driverName, v.csi.volumeHandle));
    return out;
  }
  /** Whether any pod volume still publishes this staged device. */
  deviceInUse(uniqueName: string): boolean {
    for (const v of this.volumes.values()) {
      if (v.csi && csiUniqueVolumeName(v.csi.driverName, v.csi.volumeHandle) === uniqueName) return true;
    }
    return false;
  }
}

async function dirEntries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

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
    };
  } catch {
    return undefined;
  }
}

/**
 * Reads back what a previous run left: every pods/<uid>/volumes/<plugin>/<name> directory and every staged CSI
 * volume under plugins/kubernetes.io/csi. A CSI pod volume whose target is a mount point is certainly mounted;
 * anything else is recorded as uncertain so the reconciler either sets it up again or tears it down.
 */
export async function reconstruct(paths: NodePaths): Promise<ActualState> {
  const state = new ActualState();
  const mountPoints = new Set((await listMounts()).map((m) => m.mountPoint));
  for (const podUid of await dirEntries(paths.podsDir)) {
    const volumesDir = paths.podVolumesDir(podUid);
    for (const pluginDir of await dirEntries(volumesDir)) {
      const plugin = unescapeQualifiedName(pluginDir);
      for (const innerName of await dirEntries(join(volumesDir, pluginDir))) {
        const dir = join(volumesDir, pluginDir, innerName);
        const key = `${podUid}/${plugin}/${innerName}`;
        if (plugin === pluginNames.csi) {
          const data = await readVolData(join(dir, volDataFile));
          const targetPath = join(dir, "mount");
          if (!data) {
            // No vol_data.json: the agent died before it published anything here; only the directory is left.
            state.markMounted({ key, podUid, plugin, innerName, dir, uncertain: true });
            continue;
          }
          state.markMounted({
            key,
            podUid,
            plugin,
            innerName,
            dir,
            csi: { ...data, targetPath },
            uncertain: !mountPoints.has(targetPath),
          });
        } else {
          state.markMounted({ key, podUid, plugin, innerName, dir, uncertain: true });
        }
      }
    }
    await reconstructBlockVolumes(paths, podUid, state, mountPoints);
  }
  const csiDir = join(paths.root, "plugins", pluginNames.csi);
  for (const driver of await dirEntries(csiDir)) {
    if (driver === csiVolumeDevicesDirName) continue; // raw block volumes, read below
    for (const hash of await dirEntries(join(csiDir, driver))) {
      const data = await readVolData(join(csiDir, driver, hash, volDataFile));
      if (!data) continue;
      const stagingPath = join(csiDir, driver, hash, "globalmount");
      state.markStaged({
        uniqueName: csiUniqueVolumeName(data.driverName, data.volumeHandle),
        driver: data.driverName,
        volumeHandle: data.volumeHandle,
        stagingPath,
        uncertain: !mountPoints.has(stagingPath),
      });
    }
  }
  await reconstructBlockDevices(paths, state);
  return state;
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
  state: ActualState,
  mountPoints: Set<string>,
): Promise<void> {
  const plugin = pluginNames.csi;
  const dir = join(paths.podVolumeDevicesDir(podUid), "kubernetes.io~csi");
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
    state.markMounted({
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
}

/** Staged raw block volumes: a data dir with a staging dir beside it. Never provable from the mount table. */
async function reconstructBlockDevices(paths: NodePaths, state: ActualState): Promise<void> {
  for (const pvName of await dirEntries(paths.csiVolumeDevicesDir)) {
    if (pvName === "staging" || pvName === "publish") continue;
    const data = await readVolData(join(paths.csiBlockDataDir(pvName), volDataFile));
    const stagingPath = paths.csiBlockStagingPath(pvName);
    if (!data || !(await isDir(stagingPath))) continue;
    state.markStaged({
      uniqueName: csiUniqueVolumeName(data.driverName, data.volumeHandle),
      driver: data.driverName,
      volumeHandle: data.volumeHandle,
      stagingPath,
      uncertain: true,
      blockPvName: pvName,
    });
  }
}
