// Reconstruction at start (pkg/kubelet/volumemanager/reconciler/reconstruct.go): what a previous run left set up,
// read back from every pods/<uid>/volumes/<plugin>/<name> directory and from what each plugin keeps elsewhere (CSI's
// staged devices and raw block maps), so the first reconciler pass tears down what no pod needs and never sets
// anything up twice. A plugin proves what it can from the mount table; anything else is recorded as uncertain.
import { join } from "node:path";
import { listMounts } from "../../support/mount.js";
import type { NodePaths } from "../paths.js";
import { dirEntries, unescapeQualifiedName } from "../paths.js";
import type { VolumePluginRegistry } from "../plugins/registry.js";
import { ActualState } from "./actual.js";

export async function reconstruct(paths: NodePaths, plugins: VolumePluginRegistry): Promise<ActualState> {
  const state = new ActualState();
  const mountPoints = new Set((await listMounts()).map((m) => m.mountPoint));
  const podUids = await dirEntries(paths.podsDir);
  for (const podUid of podUids) {
    const volumesDir = paths.podVolumesDir(podUid);
    for (const pluginDir of await dirEntries(volumesDir)) {
      const plugin = unescapeQualifiedName(pluginDir);
      const reconstructVolume = plugins.byName(plugin)?.reconstructVolume;
      for (const innerName of await dirEntries(join(volumesDir, pluginDir))) {
        const found = {
          key: `${podUid}/${plugin}/${innerName}`,
          podUid,
          plugin,
          innerName,
          dir: join(volumesDir, pluginDir, innerName),
        };
        state.markMounted(
          reconstructVolume ? await reconstructVolume(found, mountPoints) : { ...found, uncertain: true },
        );
      }
    }
  }
  for (const mounter of plugins.deviceMounters()) {
    const { volumes, devices } = await mounter.reconstructDevices(paths, podUids, mountPoints);
    for (const volume of volumes) state.markMounted(volume);
    for (const device of devices) state.markStaged(device);
  }
  return state;
}
