// subPath and subPathExpr (pkg/kubelet/kubelet_pods.go makeMounts, pkg/volume/util/subpath): a container may mount
// a path inside a volume. The path is resolved inside the volume one component at a time, and a symlink that
// leads outside the volume is refused: otherwise a pod could write `ln -s /etc x` into its volume and have the
// next container mount the node's /etc.
//
// Resolving is not enough: between the check and the bind mount a container could swap a checked directory for a
// symlink (CVE-2021-25741). So, as the kubelet's doBindSubPath, the resolved path is then opened one component at
// a time from the volume's root with O_NOFOLLOW (a symlink swapped in fails the open), and the bind mount's source
// is that open descriptor, /proc/<pid>/fd/<n>: what is mounted is what was checked, whatever the path says by then.
// The bind sits at pods/<uid>/volume-subpaths/<volume>/<container>/<index>, and that is what the container mounts.
import { constants } from "node:fs";
import { lstat, mkdir, open, realpath, writeFile, type FileHandle } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { bindMount, isMountPoint } from "../support/mount.js";
import type { Container, VolumeMount } from "../api/core/types.js";

export class SubPathError extends Error {
  override name = "SubPathError";
}

const within = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !rel.startsWith(sep));
};

/** subPathExpr: $(VAR) from the container's plain env values (kubelet's expansion; unknown names stay as written). */
export function expandSubPathExpr(expr: string, container: Container): string {
  const env = new Map((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value ?? ""]));
  return expr.replace(/\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string) => env.get(name) ?? whole);
}

/**
 * The host path of `subPath` inside the volume at `volumePath`, created (0750, as the kubelet) when missing.
 * Throws SubPathError when it is absolute, climbs out with "..", or resolves (through symlinks) outside the volume.
 */
export async function prepareSubPath(volumePath: string, subPath: string): Promise<string> {
  if (subPath.startsWith("/") || subPath.split("/").includes("..")) {
    throw new SubPathError(`subpath ${JSON.stringify(subPath)} must be a relative path without ".."`);
  }
  const root = await realpath(volumePath);
  let current = root;
  for (const part of subPath.split("/").filter((p) => p !== "" && p !== ".")) {
    const next = join(current, part);
    let stats = await lstat(next).catch(() => undefined);
    if (!stats) {
      const made = await mkdir(next, { mode: 0o750 }).then(
        () => true,
        (err: NodeJS.ErrnoException) => {
          if (err.code !== "EEXIST") throw err;
          return false; // made meanwhile (by the container, perhaps as a symlink): checked below like any
        },
      );
      if (made) {
        current = next;
        continue;
      }
      stats = await lstat(next);
    }
    const resolved = stats.isSymbolicLink() ? await realpath(next).catch(() => undefined) : next;
    if (!resolved || !within(root, resolved)) {
      throw new SubPathError(`subpath ${JSON.stringify(next)} not within volume path ${JSON.stringify(root)}`);
    }
    current = resolved;
  }
  return current;
}

/** The subPath a mount asks for (subPath, or subPathExpr expanded), or undefined. */
export function subPathOf(mount: VolumeMount, container: Container): string | undefined {
  if (mount.subPath) return mount.subPath;
  if (mount.subPathExpr) return expandSubPathExpr(mount.subPathExpr, container);
  return undefined;
}

/** Linux's O_PATH: a descriptor that names a file without opening it for reading (a FIFO does not block). */
const O_PATH = 0o10000000;

/** Opens `path` (inside the real directory `root`) one component at a time, never following a symlink. */
async function openBeneath(root: string, path: string): Promise<FileHandle> {
  const parts = relative(root, path)
    .split(sep)
    .filter((p) => p !== "");
  let current = await open(root, O_PATH | constants.O_NOFOLLOW | constants.O_DIRECTORY);
  try {
    for (const part of parts) {
      const next = await open(`/proc/self/fd/${current.fd}/${part}`, O_PATH | constants.O_NOFOLLOW).catch(
        (err: NodeJS.ErrnoException) => {
          throw new SubPathError(`subpath ${JSON.stringify(path)} changed while it was being mounted: ${err.code}`);
        },
      );
      await current.close();
      current = next;
      // O_PATH | O_NOFOLLOW opens a symlink itself: one swapped in since the resolution is refused here.
      if ((await current.stat()).isSymbolicLink())
        throw new SubPathError(`subpath ${JSON.stringify(path)} changed into a symlink while it was being mounted`);
    }
    return current;
  } catch (err) {
    await current.close();
    throw err;
  }
}

/**
 * Bind-mounts the resolved subPath `path` of the volume at `volumePath` onto `target` through an open descriptor
 * (see the top of this file) and returns `target`, the path the container mounts. A target already mounted is
 * the earlier bind of the same container's mount, reused as the kubelet does.
 */
export async function bindSubPath(volumePath: string, path: string, target: string): Promise<string> {
  if (await isMountPoint(target)) return target;
  const root = await realpath(volumePath);
  const handle = await openBeneath(root, path);
  try {
    await mkdir(dirname(target), { recursive: true, mode: 0o750 });
    if ((await handle.stat()).isDirectory()) await mkdir(target, { recursive: true, mode: 0o750 });
    else await writeFile(target, "", { flag: "a" });
    await bindMount(`/proc/${process.pid}/fd/${handle.fd}`, target, false);
  } finally {
    await handle.close();
  }
  return target;
}
