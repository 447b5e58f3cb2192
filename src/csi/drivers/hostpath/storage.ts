// Where hostpath volumes and snapshots live on disk, under the state dir:
//   volumes/<volume id>/      a volume is a directory
//   snapshots/<snapshot id>.tar  a snapshot is a tarball of the volume's directory
//   tmp/                      work in progress; built here, renamed into place when complete
// A volume or snapshot appears under its final name only when complete, and only a record in state.json makes
// it real: whatever a crash leaves without a record is garbage, removed at the next start.
import { execFile } from "node:child_process";
import { lstat, mkdir, readdir, realpath, rename, rm, rmdir, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { promisify } from "node:util";
import { Code, CsiError } from "../../errors.js";
import { mountsUnder } from "../../../support/mount.js";
import type { HostpathState } from "./state.js";

const run = promisify(execFile);

async function exec(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args, { maxBuffer: 16 << 20 });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`${command} ${args.join(" ")} failed: ${stderr || (err as Error).message}`);
  }
}

export type ContentSource = { snapshotFile: string } | { volumeDir: string };

export class HostpathStorage {
  readonly volumesDir: string;
  readonly snapshotsDir: string;
  readonly tmpDir: string;

  private constructor(readonly root: string) {
    this.volumesDir = join(root, "volumes");
    this.snapshotsDir = join(root, "snapshots");
    this.tmpDir = join(root, "tmp");
  }

  /** `stateDir` resolved through any symlinks once, so containment checks compare real paths. */
  static async open(stateDir: string): Promise<HostpathStorage> {
    await mkdir(stateDir, { recursive: true });
    const storage = new HostpathStorage(await realpath(stateDir));
    for (const dir of [storage.volumesDir, storage.snapshotsDir, storage.tmpDir]) await mkdir(dir, { recursive: true });
    return storage;
  }

  volumeDir(id: string): string {
    return join(this.volumesDir, id);
  }

  snapshotFile(id: string): string {
    return join(this.snapshotsDir, `${id}.tar`);
  }

  /**
   * The volume's directory, checked to still be a real directory inside volumes/: if anything replaced it with a
   * symlink (to /etc, say), mounting it would hand that target to a workload.
   */
  async safeVolumeDir(id: string): Promise<string> {
    const dir = this.volumeDir(id);
    const info = await lstat(dir).catch(() => undefined);
    if (!info) throw new CsiError(Code.NOT_FOUND, `volume ${id}: its directory ${dir} is missing`);
    if (!info.isDirectory()) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `volume ${id}: ${dir} is not a directory (a symlink?); refusing to use it`,
      );
    }
    const real = await realpath(dir);
    if (real !== dir || !real.startsWith(this.volumesDir + sep)) {
      throw new CsiError(
        Code.FAILED_PRECONDITION,
        `volume ${id}: ${dir} resolves outside ${this.volumesDir}; refusing to use it`,
      );
    }
    return dir;
  }

  /** Builds the volume's directory (empty, restored from a snapshot, or cloned) in tmp/, then moves it into place. */
  async createVolumeDir(id: string, source?: ContentSource): Promise<void> {
    // An empty directory appears whole in one mkdir, so it needs no staging in tmp/.
    if (!source) {
      await mkdir(this.volumeDir(id), { mode: 0o777 });
      return;
    }
    // Ids are fresh UUIDs, so nothing can be at `work` yet (a crash's leftovers were collected at start).
    const work = join(this.tmpDir, `volume-${id}`);
    await mkdir(work, { mode: 0o777 });
    if (source && "snapshotFile" in source) {
      await exec("tar", ["-x", "-f", source.snapshotFile, "-C", work, "--same-owner", "--preserve-permissions"]);
    } else if (source) {
      // -a keeps owners, modes, times, links; "src/." copies the contents, including dotfiles.
      await exec("cp", ["-a", "--", `${source.volumeDir}/.`, `${work}/`]);
    }
    await rename(work, this.volumeDir(id));
  }

  /** Removes a volume's directory if it is empty (or gone): true. false: it holds something (removeVolumeDir). */
  async removeEmptyVolumeDir(id: string): Promise<boolean> {
    // An empty directory can hold no mount point: it goes in one step.
    return rmdir(this.volumeDir(id)).then(
      () => true,
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return true;
        if (err.code === "ENOTEMPTY" || err.code === "EEXIST") return false;
        throw err;
      },
    );
  }

  /** Removes a volume's directory; refuses while anything is mounted inside it (rm would walk into the mount). */
  async removeVolumeDir(id: string): Promise<void> {
    if (await this.removeEmptyVolumeDir(id)) return;
    const dir = this.volumeDir(id);
    const inside = await mountsUnder(dir);
    if (inside.length > 0) {
      throw new CsiError(Code.FAILED_PRECONDITION, `volume ${id} still has mounts inside it: ${inside.join(", ")}`);
    }
    // Rename first so a crash mid-delete leaves garbage in tmp/, not a half-empty volume.
    const doomed = join(this.tmpDir, `deleting-${id}`);
    await rename(dir, doomed).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    await rm(doomed, { recursive: true, force: true });
  }

  /** Cuts a snapshot of a volume as a tarball, complete before it appears under snapshots/. */
  async cutSnapshot(volumeId: string, snapshotId: string): Promise<number> {
    const dir = await this.safeVolumeDir(volumeId);
    const work = join(this.tmpDir, `snapshot-${snapshotId}.tar`);
    await exec("tar", ["-c", "-f", work, "-C", dir, "."]);
    const file = this.snapshotFile(snapshotId);
    await rename(work, file);
    return (await stat(file)).size;
  }

  async removeSnapshot(id: string): Promise<void> {
    await rm(this.snapshotFile(id), { force: true });
  }

  /**
   * Makes again the directory of each empty volume whose record a crash left without it: CreateVolume writes an
   * empty volume's directory and its record at once, and DeleteVolume its record and empty directory, so a crash
   * between the two can leave a record alone. Such a volume was empty and unused (a delete needs it unused), and its
   * caller never got an answer: made again, it is exactly what the retried CreateVolume (or DeleteVolume) expects.
   * A volume filled from a source, or staged or published, is left to fail loudly (NOT_FOUND): its data is lost.
   */
  async remakeEmptyVolumeDirs(state: HostpathState): Promise<string[]> {
    const made: string[] = [];
    for (const volume of Object.values(state.volumes)) {
      const unused = Object.keys(volume.staged).length === 0 && Object.keys(volume.targets).length === 0;
      if (volume.source || !unused) continue;
      const dir = this.volumeDir(volume.id);
      const missing = await lstat(dir).then(
        () => false,
        (err: NodeJS.ErrnoException) => err.code === "ENOENT",
      );
      if (!missing) continue;
      await mkdir(dir, { mode: 0o777 });
      made.push(dir);
    }
    return made;
  }

  /** Deletes what a crash left behind: tmp/ work, and volumes or snapshots that state.json does not know. */
  async collectGarbage(state: HostpathState): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      if ((await mountsUnder(path)).length === 0) {
        await rm(path, { recursive: true, force: true });
        removed.push(path);
      }
    }
    for (const name of await readdir(this.volumesDir)) {
      if (state.volumes[name]) continue;
      const path = join(this.volumesDir, name);
      if ((await mountsUnder(path)).length > 0) continue; // never rm through a mount; a later start retries
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
    for (const name of await readdir(this.snapshotsDir)) {
      if (name.endsWith(".tar") && state.snapshots[name.slice(0, -4)]) continue;
      const path = join(this.snapshotsDir, name);
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    }
    return removed;
  }

  /** Bytes and inodes a volume's directory uses (like du: allocated blocks, hard links counted once). */
  async usage(id: string): Promise<{ bytes: number; inodes: number }> {
    const seen = new Set<string>();
    let bytes = 0;
    let inodes = 0;
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const entry of entries) {
        const path = join(dir, entry.name);
        const info = await lstat(path).catch(() => undefined);
        if (!info) continue;
        const key = `${info.dev}:${info.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        bytes += info.blocks * 512;
        inodes++;
        if (info.isDirectory()) await walk(path);
      }
    };
    await walk(await this.safeVolumeDir(id));
    return { bytes, inodes: inodes + 1 };
  }
}
