// The actual state of the world (pkg/kubelet/volumemanager/cache/actual_state_of_world.go): which pod volumes
// are set up and which CSI volumes are staged on this node. Filled by the reconciler as its steps succeed, and
// at start reconstructed from the kubelet's directory layout and the kernel's mount table (reconstruct.ts), so a
// restarted agent unmounts what no pod needs and never mounts anything twice. Below the plugins: they import it.
import { uniqueVolumeName } from "../../api/storage/attachmentnames.js";

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
  /** "Ephemeral" for an inline csi volume: published with no attach or staging, its id made by the agent. */
  volumeLifecycleMode?: "Ephemeral";
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
  /** The plugin that staged it (and unstages it). */
  plugin: string;
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
    for (const v of this.volumes.values()) if (v.csi) out.add(uniqueVolumeName(v.csi.driverName, v.csi.volumeHandle));
    return out;
  }
  /** Whether any pod volume still publishes this staged device. */
  deviceInUse(uniqueName: string): boolean {
    for (const v of this.volumes.values()) {
      if (v.csi && uniqueVolumeName(v.csi.driverName, v.csi.volumeHandle) === uniqueName) return true;
    }
    return false;
  }
}
