// The volume plugin manager (pkg/volume/plugins.go VolumePluginMgr): which plugin mounts a desired volume
// (FindPluginBySpec: by its source's kind) and which one owns a volume directory found on disk
// (FindPluginByName: by the plugin name it is filed under). The reconciler asks here instead of switching on kinds.
import type { MountedVolume, StagedDevice } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { configMapPlugin, secretPlugin } from "./configmap.js";
import { csiPlugin } from "./csi.js";
import { csiEphemeralPlugin } from "./csiephemeral.js";
import { emptyDirPlugin } from "./emptydir.js";
import { hostPathPlugin } from "./hostpath.js";
import { nfsPlugin } from "./nfs.js";
import type { DeviceMounter, VolumePlugin } from "./plugin.js";
import { downwardAPIPlugin, projectedPlugin } from "./projected.js";

/** One plugin per kind of desired volume (a local PV is a hostPath volume here). */
export type VolumePlugins = { [K in DesiredVolume["kind"]]: VolumePlugin<Extract<DesiredVolume, { kind: K }>> };

export const defaultVolumePlugins: VolumePlugins = {
  csi: csiPlugin,
  csiEphemeral: csiEphemeralPlugin,
  emptyDir: emptyDirPlugin,
  hostPath: hostPathPlugin,
  configMap: configMapPlugin,
  secret: secretPlugin,
  downwardAPI: downwardAPIPlugin,
  projected: projectedPlugin,
  nfs: nfsPlugin,
};

export class VolumePluginRegistry {
  private readonly names = new Map<string, VolumePlugin>();

  constructor(private readonly plugins: VolumePlugins = defaultVolumePlugins) {
    // The first plugin of a name owns its directories (csi's persistent half, before its inline half)
    for (const plugin of Object.values(plugins) as VolumePlugin[])
      if (!this.names.has(plugin.name)) this.names.set(plugin.name, plugin);
  }

  /** FindPluginBySpec: the plugin for a desired volume. */
  forVolume<V extends DesiredVolume>(volume: V): VolumePlugin<V> {
    // The mapped type pairs each kind with its plugin; TypeScript cannot follow that through an indexed access.
    return this.plugins[volume.kind] as unknown as VolumePlugin<V>;
  }

  /** FindPluginByName: the plugin whose directory (pods/<uid>/volumes/<name~escaped>/…) this is. */
  byName(name: string): VolumePlugin | undefined {
    return this.names.get(name);
  }

  /**
   * The plugin that tears down a set-up volume. A directory filed under a name no plugin has (an older agent's) is
   * removed as an emptyDir is: whatever is mounted under it is unmounted first, so nothing mounted is deleted.
   */
  forMounted(mounted: MountedVolume): VolumePlugin {
    return this.byName(mounted.plugin) ?? (emptyDirPlugin as VolumePlugin);
  }

  /** The device mounter that staged this device (and unstages it). */
  deviceMounterOf(device: StagedDevice): DeviceMounter | undefined {
    return this.byName(device.plugin)?.deviceMounter;
  }

  /** The plugins that stage devices once per node (only csi here, as upstream since the in-tree ones went). */
  deviceMounters(): DeviceMounter[] {
    return [...this.names.values()].flatMap((plugin) => (plugin.deviceMounter ? [plugin.deviceMounter] : []));
  }
}
