// The volume plugin seam (pkg/volume/plugins.go VolumePlugin and its Attachable/DeviceMountable/Expandable/Block
// kin, cut down to what the reconciler asks): every volume type the node mounts — csi (filesystem and raw block),
// emptyDir, hostPath (and local PVs), configMap, secret, downwardAPI, projected, nfs — is one VolumePlugin, found
// through the registry (registry.ts) by the volume's source or by the plugin name on its directory. The
// reconciler decides when; a plugin knows how. Plugins import the desired/actual state types, never the reconciler.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { Quantity } from "../../api/quantity.js";
import type { Client } from "../../client/index.js";
import type { NodePaths } from "../paths.js";
import type { MountedVolume, StagedDevice } from "../volumemanager/actual.js";
import type { DesiredListers, DesiredVolume } from "../volumemanager/desired.js";
import type { PluginContext } from "./context.js";

export interface VolumePlugin<V extends DesiredVolume = DesiredVolume> {
  /** GetPluginName: "kubernetes.io/csi", …; the pod's volume directory is named for it (paths.ts pluginNames). */
  readonly name: string;
  /**
   * SetUp (for a raw block volume: MapPodDevice): idempotent, so a step that died half way is simply run again.
   * `signal` is the agent stopping: a mount that may hang (nfs) is killed with it.
   */
  setUp(ctx: PluginContext, volume: V, pod: Pod, key: string, signal?: AbortSignal): Promise<MountedVolume>;
  /** TearDown (UnmapPodDevice): the pod's volume directory goes once nothing is mounted on it. */
  tearDown(ctx: PluginContext, mounted: MountedVolume, signal?: AbortSignal): Promise<void>;
  /**
   * ConstructVolumeSpec: a pods/<uid>/volumes/<plugin>/<name> directory found after an agent restart. Without it the
   * volume is uncertain: set up again (idempotent) while a pod needs it, torn down once none does.
   */
  reconstructVolume?(found: FoundVolume, mountPoints: ReadonlySet<string>): Promise<MountedVolume>;
  /**
   * RequiresRemount: the version of what the volume was written from (configMap, secret, downwardAPI, projected);
   * set up again when it changes. Without it a set-up volume has nothing to refresh.
   */
  sourceVersion?(ctx: PluginContext, volume: V): string;
  /** The event reason for a failed set-up: FailedMount, FailedMapVolume for a raw block volume. */
  failedReason?(volume: V): string;
  /** DeviceMountableVolumePlugin: volumes staged once per node (MountDevice) and published per pod from there. */
  readonly deviceMounter?: DeviceMounter<V>;
  /** ExpandableVolumePlugin: NodeExpandVolume once the resizer grew the volume. */
  readonly expander?: NodeExpander<V>;
}

/** A pod volume directory found on disk at start. */
export interface FoundVolume {
  key: string;
  podUid: string;
  plugin: string;
  innerName: string;
  dir: string;
}

export interface DeviceMounter<V extends DesiredVolume = DesiredVolume> {
  /** The unique volume name of the device a volume is staged on: one step at a time runs per device. */
  deviceOf(volume: V): string;
  /** Whether the next step for this volume is staging (MountDevice), given what is staged now. */
  needsStaging(ctx: PluginContext, volume: V, staged: StagedDevice | undefined): boolean;
  /** MountDevice (SetUpDevice for raw block): one step; publishing (setUp) is the next. */
  mountDevice(ctx: PluginContext, volume: V): Promise<StagedDevice>;
  /** After a MountDevice refused for certain with nothing staged before: remove what it wrote for this try. */
  forgetDevice(ctx: PluginContext, volume: V): Promise<void>;
  /** UnmountDevice (TearDownDevice for raw block). */
  unmountDevice(ctx: PluginContext, device: StagedDevice): Promise<void>;
  /**
   * A torn-down volume that was published from a staged device: the device, so it gets unstaged too even when the
   * actual state never knew it (a volume reconstructed from disk).
   */
  publishedFrom(mounted: MountedVolume): StagedDevice | undefined;
  /** What the plugin keeps outside pods' volume directories (staged devices, raw block maps), read back at start. */
  reconstructDevices(
    paths: NodePaths,
    podUids: readonly string[],
    mountPoints: ReadonlySet<string>,
  ): Promise<{ volumes: MountedVolume[]; devices: StagedDevice[] }>;
}

/** What a claim waits for on this node: its volume grown to `size`. */
export interface PendingExpansion {
  claim: PersistentVolumeClaim;
  volume: PersistentVolume;
  size: Quantity;
}

export interface NodeExpander<V extends DesiredVolume = DesiredVolume> {
  /** The expansion the volume's claim waits for (FileSystemResizePending), if any. */
  pending(listers: DesiredListers, volume: V): PendingExpansion | undefined;
  /**
   * NodeExpandVolume on the set-up volume, then the claim records its new size (MarkFSResizeFinished); resolves
   * with the claim as that write left it (undefined when nothing was written).
   */
  expand(
    ctx: PluginContext,
    client: Client,
    mounted: MountedVolume,
    expansion: PendingExpansion,
  ): Promise<PersistentVolumeClaim | undefined>;
}
