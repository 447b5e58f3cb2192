// emptyDir (pkg/volume/emptydir): a directory under the pod that lives exactly as long as the pod; with
// medium: Memory a tmpfs (sized by sizeLimit when given). Torn down with everything in it.
import { chmod, mkdir, rm } from "node:fs/promises";
import { mountAt, mountsUnder, mountTmpfs, unmount } from "../../support/mount.js";
import { Quantity } from "../../api/quantity.js";
import { pluginNames } from "../paths.js";
import type { MountedVolume } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { setUpAt, VolumeOperationError, type PluginContext } from "./context.js";
import type { VolumePlugin } from "./plugin.js";
import { podFSGroup, setVolumeOwnership } from "./ownership.js";
import type { Pod } from "../../api/core/types.js";

type EmptyDirVolume = Extract<DesiredVolume, { kind: "emptyDir" }>;

export async function setUpEmptyDir(
  ctx: PluginContext,
  volume: EmptyDirVolume,
  pod: Pod,
  key: string,
): Promise<MountedVolume> {
  const dir = ctx.paths.podVolumeDir(volume.podUid, volume.plugin, volume.innerName);
  try {
    await mkdir(dir, { recursive: true });
    if (volume.source.medium === "Memory" && !(await mountAt(dir))) {
      const options = ["mode=0777"];
      if (volume.source.sizeLimit) {
        const bytes = Quantity.parse(volume.source.sizeLimit, "sizeLimit").value;
        options.push(`size=${bytes}`);
      }
      await mountTmpfs(dir, options); // mount(2) directly: no /bin/mount spawned per pod
    }
    // Upstream makes the directory world-writable so any container user can use it (setupDir: 0777).
    await chmod(dir, 0o777);
    // The pod's fsGroup, whatever its fsGroupChangePolicy (upstream's emptyDir passes none: always applied).
    await setVolumeOwnership(dir, podFSGroup(pod).fsGroup, undefined, false);
  } catch (err) {
    throw new VolumeOperationError("MountVolume.SetUp", volume.innerName, (err as Error).message);
  }
  return setUpAt(volume, key, dir);
}

/**
 * A directory on a tmpfs, as the kubelet backs secret, projected and downwardAPI volumes (a wrapped emptyDir of
 * medium Memory): what is written there never reaches the node's disk. Mounted once; a refresh finds it mounted.
 */
export async function memoryBackedDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (!(await mountAt(dir))) await mountTmpfs(dir, ["mode=0755"]);
}

export async function tearDownEmptyDir(mounted: MountedVolume): Promise<void> {
  // Unmount a tmpfs (and anything a runtime mounted inside) before removing the directory's contents.
  for (const path of (await mountsUnder(mounted.dir)).reverse()) await unmount(path);
  await rm(mounted.dir, { recursive: true, force: true });
}

/** kubernetes.io/empty-dir. */
export const emptyDirPlugin: VolumePlugin<EmptyDirVolume> = {
  name: pluginNames.emptyDir,
  setUp: (ctx, volume, pod, key) => setUpEmptyDir(ctx, volume, pod, key),
  tearDown: (_ctx, mounted) => tearDownEmptyDir(mounted),
};
