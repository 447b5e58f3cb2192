// subPath and subPathExpr (pkg/kubelet/kubelet_pods.go makeMounts, pkg/volume/util/subpath): a container may mount
// a path inside a volume. The path is resolved inside the volume one component at a time, and a symlink that
// leads outside the volume is refused: otherwise a pod could write `ln -s /etc x` into its volume and have the
// next container mount the node's /etc.
import { lstat, mkdir, realpath } from "node:fs/promises";
import { join, relative, sep } from "node:path";
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
    const stats = await lstat(next).catch(() => undefined);
    if (!stats) {
      await mkdir(next, { mode: 0o750 });
      current = next;
      continue;
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
