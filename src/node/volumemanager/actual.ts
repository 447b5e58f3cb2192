// The actual state of the world (pkg/kubelet/volumemanager/cache/actual_state_of_world.go): which pod volumes
// are set up and which CSI volumes are staged on this node. Filled by the reconciler as its steps succeed, and
// at start reconstructed from the kubelet's directory layout and the kernel's mount table
// (reconstruct.go), so a restarted agent unmounts what no pod needs and never mounts anything twice.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { listMounts } from "../../csi/drivers/mount.js";
import type { NodePaths } from "../paths.js";
import { pluginNames, unescapeQualifiedName, volDataFile, csiUniqueVolumeName } from "../paths.js";

export interface CsiVolumeData {
  driverName: string;
  volumeHandle: string;
  /** The PV (spec volume) name. */
  specVolID: string;
  nodeName?: string;
  /** Where the volume was staged, when it was (empty when the driver does not stage). */
  stagingPath?: string;
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
  }
  const csiDir = join(paths.root, "plugins", pluginNames.csi);
  for (const driver of await dirEntries(csiDir)) {
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
  return state;
}
