// The kubelet's directory layout under --root-dir (pkg/kubelet/kubelet_getters.go, pkg/volume/csi): tools and
// people who know the kubelet find volumes where they expect them, and a restarted agent reads its state back
// from these paths.
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

/** Plugin names as upstream registers them; their directory form swaps "/" for "~" (utilstrings.EscapeQualifiedName). */
export const pluginNames = {
  csi: "kubernetes.io/csi",
  emptyDir: "kubernetes.io/empty-dir",
  configMap: "kubernetes.io/configmap",
  secret: "kubernetes.io/secret",
  hostPath: "kubernetes.io/host-path",
  downwardAPI: "kubernetes.io/downward-api",
  projected: "kubernetes.io/projected",
  nfs: "kubernetes.io/nfs",
} as const;
export type PluginKind = keyof typeof pluginNames;

/** A directory of the layout read back after a restart: its entries, none when it is not there. */
export async function dirEntries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export const escapeQualifiedName = (name: string): string => name.replace(/\//g, "~");
export const unescapeQualifiedName = (name: string): string => name.replace(/~/g, "/");

export class NodePaths {
  constructor(readonly root: string) {}

  get podsDir(): string {
    return join(this.root, "pods");
  }
  get pluginsRegistryDir(): string {
    return join(this.root, "plugins_registry");
  }
  podDir(podUid: string): string {
    return join(this.podsDir, podUid);
  }
  podVolumesDir(podUid: string): string {
    return join(this.podDir(podUid), "volumes");
  }
  /** pods/<uid>/volume-subpaths: the subPath bind mounts (kubelet's volumeSubpathsDirName). */
  podVolumeSubpathsDir(podUid: string): string {
    return join(this.podDir(podUid), "volume-subpaths");
  }
  /** pods/<uid>/volume-subpaths/<volume>/<container>/<index of the mount in the container's volumeMounts>. */
  volumeSubpath(podUid: string, volumeName: string, containerName: string, index: number): string {
    return join(this.podVolumeSubpathsDir(podUid), volumeName, containerName, String(index));
  }
  /** pods/<uid>/volumes/<plugin~name>/<volume>: where a pod's volume lives (CSI mounts at …/mount inside). */
  podVolumeDir(podUid: string, plugin: string, volumeName: string): string {
    return join(this.podVolumesDir(podUid), escapeQualifiedName(plugin), volumeName);
  }
  /** plugins/kubernetes.io/csi/<driver>: one folder per driver, one sub-folder per staged volume. */
  csiDriverDir(driver: string): string {
    return join(this.root, "plugins", pluginNames.csi, driver);
  }
  /** The staging dir (csi_attacher.go makeDeviceMountPath): sha256 of the handle keeps any handle a valid name. */
  csiDeviceDir(driver: string, volumeHandle: string): string {
    return join(this.csiDriverDir(driver), createHash("sha256").update(volumeHandle).digest("hex"));
  }
  csiGlobalMount(driver: string, volumeHandle: string): string {
    return join(this.csiDeviceDir(driver, volumeHandle), "globalmount");
  }

  // Raw block volumes (volumeMode: Block) have their own tree, keyed by PV name (csi_block.go).
  /** plugins/kubernetes.io/csi/volumeDevices (the kubelet's GetVolumeDevicePluginDir). */
  get csiVolumeDevicesDir(): string {
    return join(this.root, "plugins", pluginNames.csi, csiVolumeDevicesDirName);
  }
  /** volumeDevices/staging/<pv>: staging_target_path of a block volume (getStagingPath). */
  csiBlockStagingPath(pvName: string): string {
    return join(this.csiVolumeDevicesDir, "staging", pvName);
  }
  /** volumeDevices/publish/<pv>: one file per pod the volume is published to (getPublishDir). */
  csiBlockPublishDir(pvName: string): string {
    return join(this.csiVolumeDevicesDir, "publish", pvName);
  }
  /** volumeDevices/publish/<pv>/<pod uid>: target_path of a block volume (getPublishPath). */
  csiBlockPublishPath(pvName: string, podUid: string): string {
    return join(this.csiBlockPublishDir(pvName), podUid);
  }
  /** volumeDevices/<pv>/data: where vol_data.json of a block volume lives (getVolumeDeviceDataDir). */
  csiBlockDataDir(pvName: string): string {
    return join(this.csiVolumeDevicesDir, pvName, "data");
  }
  /** pods/<uid>/volumeDevices: the pod's block volumes (GetPodVolumeDeviceDir's parent). */
  podVolumeDevicesDir(podUid: string): string {
    return join(this.podDir(podUid), "volumeDevices");
  }
  /** pods/<uid>/volumeDevices/<plugin~name>/<pv>: a symlink to the published device (GetPodDeviceMapPath). */
  podDeviceMapPath(podUid: string, plugin: string, volumeName: string): string {
    return join(this.podVolumeDevicesDir(podUid), escapeQualifiedName(plugin), volumeName);
  }
}

/** The directory under plugins/kubernetes.io/csi that holds block volumes, not a driver. */
export const csiVolumeDevicesDirName = "volumeDevices";

/** The file beside a CSI mount that lets a restarted agent know what is mounted there (as the kubelet's). */
export const volDataFile = "vol_data.json";
