// hostPath (pkg/volume/hostpath/host_path.go): the path on the node is the volume. SetUp only checks the path
// against `type`, creating it for DirectoryOrCreate (0755) and FileOrCreate (0644), with upstream's messages.
import { mkdir, open, stat } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname } from "node:path";
import type { HostPathVolumeSource } from "../../api/core/types.js";
import { pluginNames } from "../paths.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { setUpAt, VolumeOperationError } from "./context.js";
import type { VolumePlugin } from "./plugin.js";

export class HostPathTypeError extends Error {
  override name = "HostPathTypeError";
}

async function statOf(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** checkTypeInternal: creates what *OrCreate asks for, else refuses a path of the wrong type. */
export async function checkHostPathType(source: HostPathVolumeSource): Promise<void> {
  const { path } = source;
  const type = source.type ?? "";
  if (type === "") return; // unset: no checks, as upstream
  const stats = await statOf(path);
  switch (type) {
    case "DirectoryOrCreate":
    case "Directory":
      if (!stats && type === "DirectoryOrCreate") {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
      // An existing path must be a directory, whichever of the two.
      if (!stats?.isDirectory()) throw new HostPathTypeError(`hostPath type check failed: ${path} is not a directory`);
      return;
    case "FileOrCreate":
    case "File":
      if (!stats && type === "FileOrCreate") {
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
        await (await open(path, "a", 0o644)).close();
        return;
      }
      if (!stats?.isFile()) throw new HostPathTypeError(`hostPath type check failed: ${path} is not a file`);
      return;
    case "Socket":
      if (!stats?.isSocket()) throw new HostPathTypeError(`hostPath type check failed: ${path} is not a socket file`);
      return;
    case "CharDevice":
      if (!stats?.isCharacterDevice())
        throw new HostPathTypeError(`hostPath type check failed: ${path} is not a character device`);
      return;
    case "BlockDevice":
      if (!stats?.isBlockDevice())
        throw new HostPathTypeError(`hostPath type check failed: ${path} is not a block device`);
      return;
    default:
      throw new HostPathTypeError(`${String(type)} is an invalid volume type`);
  }
}

/** kubernetes.io/host-path, for hostPath volumes and PVs, and local PVs (a path on this node, upstream bind-mounts it). */
export const hostPathPlugin: VolumePlugin<Extract<DesiredVolume, { kind: "hostPath" }>> = {
  name: pluginNames.hostPath,
  async setUp(_ctx, volume, _pod, key) {
    try {
      await checkHostPathType(volume.source);
    } catch (err) {
      throw new VolumeOperationError("MountVolume.SetUp", volume.innerName, (err as Error).message);
    }
    // Nothing under the pod's directory: the host path itself is the volume.
    return setUpAt(volume, key, volume.source.path);
  },
  // The host's path is not the pod's to remove.
  tearDown: async () => undefined,
};
