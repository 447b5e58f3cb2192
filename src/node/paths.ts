// The kubelet's directory layout under --root-dir (pkg/kubelet/kubelet_getters.go, pkg/volume/csi): tools and
// people who know the kubelet find volumes where they expect them, and a restarted agent reads its state back
// from these paths.
import { createHash } from "node:crypto";
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
} as const;
export type PluginKind = keyof typeof pluginNames;

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
}

/** The file beside a CSI mount that lets a restarted agent know what is mounted there (as the kubelet's). */
export const volDataFile = "vol_data.json";

/** "kubernetes.io/csi/<driver>^<handle>": the unique volume name in node.status.volumesInUse (csi_plugin.go). */
export const csiUniqueVolumeName = (driver: string, volumeHandle: string): string =>
  `${pluginNames.csi}/${driver}^${volumeHandle}`;
