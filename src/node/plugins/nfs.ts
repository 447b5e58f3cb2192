// In-tree nfs volumes (pkg/volume/nfs/nfs.go): pod.spec.volumes[].nfs and PersistentVolumes with spec.nfs are a real
// `mount -t nfs <server>:<path>` at pods/<uid>/volumes/kubernetes.io~nfs/<name>, ro when the source or claim says
// readOnly, with the PV's mountOptions. A failed mount reads as mount-utils words it (`mount failed: exit status 32
// \nMounting command: mount\nMounting arguments: -t nfs … \nOutput: …`), so the FailedMount event names the server.
// An unreachable server can keep mount.nfs retrying for minutes: the mount runs as a step of its own (other pods'
// volumes go on) and is killed, with its helper, after nfsMountTimeoutMs.
import { spawn } from "node:child_process";
import { mkdir, rmdir } from "node:fs/promises";
import { isIPv6 } from "node:net";
import { mountAt } from "../../support/mount.js";
import { pluginNames } from "../paths.js";
import type { MountedVolume } from "../volumemanager/actual.js";
import type { DesiredVolume } from "../volumemanager/desired.js";
import { setUpAt, VolumeOperationError, type PluginContext } from "./context.js";
import type { VolumePlugin } from "./plugin.js";

/** What the volume manager knows of an nfs volume (its DesiredVolume, built in desired.ts). */
export type NfsVolume = Omit<Extract<DesiredVolume, { kind: "nfs" }>, "kind">;

/** How long one `mount -t nfs` may take before it is killed and reported as failed (upstream has no bound). */
let nfsMountTimeoutMs = 60_000;
/** For tests and `stowage node`: a shorter bound makes an unreachable server fail fast. */
export function setNfsMountTimeout(ms: number): void {
  nfsMountTimeoutMs = ms;
}

/** "server:/path", with an IPv6 address in brackets (nfs.go SetUpAt). */
export const nfsSource = (server: string, path: string): string => `${isIPv6(server) ? `[${server}]` : server}:${path}`;

/** util.JoinMountOptions: the user's and the system's options, each once, sorted (a Go string set's List()). */
export function nfsMountOptions(volume: Pick<NfsVolume, "readOnly" | "mountOptions">): string[] {
  return [...new Set([...volume.mountOptions, ...(volume.readOnly ? ["ro"] : [])])].sort();
}

/** mount-utils MakeMountArgs: `-t nfs [-o a,b] source target`. */
export function nfsMountArgs(source: string, target: string, options: string[]): string[] {
  return ["-t", "nfs", ...(options.length ? ["-o", options.join(",")] : []), source, target];
}

export class MountFailedError extends Error {
  override name = "MountFailedError";
}

/**
 * Runs a mount command (`mount` or `umount`) in its own process group, so a timeout or a stopping agent kills its
 * helper too (killing only `mount` would leave mount.nfs retrying). Resolves on exit 0; otherwise rejects with Go's
 * exec wording for the cause ("exit status 32", "signal: killed") and everything the command printed.
 */
function runBounded(
  command: string,
  args: string[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ ok: true } | { ok: false; cause: string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const kill = () => {
      try {
        process.kill(-(child.pid ?? 0), "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(kill, timeoutMs);
    signal?.addEventListener("abort", kill, { once: true });
    const done = (result: { ok: true } | { ok: false; cause: string; output: string }) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", kill);
      resolve(result);
    };
    child.on("error", (err) => done({ ok: false, cause: err.message, output }));
    child.on("close", (code, killedBy) => {
      if (code === 0) return done({ ok: true });
      const cause = killedBy ? `signal: ${killedBy === "SIGKILL" ? "killed" : killedBy}` : `exit status ${code}`;
      done({ ok: false, cause, output });
    });
  });
}

/** SetUpAt: mount once (an existing mount is kept), removing the empty directory again when mounting failed. */
export async function setUpNfs(
  ctx: Pick<PluginContext, "paths">,
  volume: NfsVolume,
  key: string,
  signal?: AbortSignal,
): Promise<MountedVolume> {
  const dir = ctx.paths.podVolumeDir(volume.podUid, volume.plugin, volume.innerName);
  const mounted = setUpAt(volume, key, dir);
  if (await mountAt(dir)) return mounted;
  const source = nfsSource(volume.source.server, volume.source.path);
  try {
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const args = nfsMountArgs(source, dir, nfsMountOptions(volume));
    const result = await runBounded("mount", args, nfsMountTimeoutMs, signal);
    if (!result.ok) {
      // mount-utils doMount's error.
      throw new MountFailedError(
        `mount failed: ${result.cause}\nMounting command: mount\nMounting arguments: ${args.join(" ")}\n` +
          `Output: ${result.output}`,
      );
    }
  } catch (err) {
    // Killed mid-mount, the kernel may still finish: only an unmounted directory is removed (nfs.go does the same).
    if (!(await mountAt(dir))) await rmdir(dir).catch(() => undefined);
    throw new VolumeOperationError("MountVolume.SetUp", volume.innerName, (err as Error).message);
  }
  return mounted;
}

/**
 * TearDownAt: unmount, then the directory goes. A server that is gone can make umount hang: after the mount timeout
 * the mount is detached lazily (umount -l), which never waits for the server, so the pod's teardown finishes.
 */
export async function tearDownNfs(mounted: MountedVolume, signal?: AbortSignal): Promise<void> {
  if (await mountAt(mounted.dir)) {
    let result = await runBounded("umount", [mounted.dir], nfsMountTimeoutMs, signal);
    if (!result.ok && (await mountAt(mounted.dir))) result = await runBounded("umount", ["-l", mounted.dir], 10_000);
    if (!result.ok && (await mountAt(mounted.dir))) {
      throw new VolumeOperationError(
        "UnmountVolume.TearDown",
        mounted.innerName,
        `unmount failed: ${result.cause}\nUnmounting arguments: ${mounted.dir}\nOutput: ${result.output}`,
      );
    }
  }
  await rmdir(mounted.dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}

/** kubernetes.io/nfs: its own step like any other, so a server that does not answer holds up this volume only. */
export const nfsPlugin: VolumePlugin<Extract<DesiredVolume, { kind: "nfs" }>> = {
  name: pluginNames.nfs,
  setUp: (ctx, volume, _pod, key, signal) => setUpNfs(ctx, volume, key, signal),
  tearDown: (_ctx, mounted, signal) => tearDownNfs(mounted, signal),
};
