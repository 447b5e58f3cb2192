// The kubelet's atomic writer (pkg/volume/util/atomic_writer.go) for configMap, secret, downwardAPI and projected
// volumes: a reader of the volume sees either the whole old payload or the whole new one, never a mix.
//
//   <dir>/..2026_11_23_10_00_00.123456/<files>   a timestamped directory holds one version of the payload
//   <dir>/..data -> ..2026_11_23_10_00_00.123456  the one symlink that is swapped (rename is atomic)
//   <dir>/<key> -> ..data/<key>                   what users open: stable names through ..data
//
// Everything is done through descriptors (support/openpath.ts): the volume's directory is opened without following
// a symlink on its path, and every name inside it is created, read, replaced or removed through that descriptor
// with O_NOFOLLOW, so a symlink planted in the volume (as ..data, a stale ..<timestamp>, a key, or inside a
// version) is replaced or removed as a link, never written, read or emptied through. The calls are synchronous,
// as openpath.ts's: a payload is small (an object is at most 1.5 MiB) and on the node's own disk or tmpfs.
import {
  chmodSync,
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
} from "node:fs";
import { readlinkSync, renameSync, symlinkSync, writeSync } from "node:fs";
import { randomInt } from "node:crypto";
import { normalize, sep } from "node:path";
import {
  fdPath,
  openChild,
  openDirectoryNoFollow,
  removeEntryNoFollow,
  UnsafePathError,
} from "../../support/openpath.js";

export interface FileProjection {
  data: Buffer;
  /** File mode, e.g. 0o644. */
  mode: number;
}

/** Relative path → content. Paths are validated: relative, no "..", not starting with "..". */
export type Payload = Map<string, FileProjection>;

const dataDirName = "..data";
const newDataDirName = "..data_tmp";

export class PayloadError extends Error {
  override name = "PayloadError";
}

/** Upstream's validatePath: what a key-to-path entry may name. */
export function validatePayloadPath(path: string): void {
  if (path === "") throw new PayloadError("invalid path: must not be empty");
  if (path.length > 4096) throw new PayloadError(`invalid path: must be less than or equal to 4096 characters`);
  if (path.startsWith("/")) throw new PayloadError("invalid path: must be relative path");
  if (path.split("/").includes("..")) throw new PayloadError("invalid path: must not contain '..'");
  if (path.startsWith("..")) throw new PayloadError("invalid path: must not start with '..'");
}

function timestampDirPrefix(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_` +
    `${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`
  );
}

/**
 * A fresh ..<timestamp>.<digits> directory, 0700 until written (Go's os.MkdirTemp, as upstream makes it): made
 * with mkdir, so a name someone planted meanwhile fails EEXIST and another is tried.
 */
function makeVersionDir(volume: number): string {
  for (;;) {
    const name = `${timestampDirPrefix()}${randomInt(1e9)}`;
    try {
      mkdirSync(fdPath(volume, name), { mode: 0o700 });
      return name;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
}

/** The first path component of each payload path: those get a symlink in the volume's top directory. */
const userVisibleNames = (paths: Iterable<string>): Set<string> =>
  new Set([...paths].map((path) => normalize(path).split(sep)[0]));

const readlinkAt = (dir: number, name: string): string | undefined => {
  try {
    return readlinkSync(fdPath(dir, name));
  } catch {
    return undefined; // missing, or not a symlink
  }
};

/** The version ..data names, opened; undefined when ..data is missing or names anything but a version here. */
function openCurrentVersion(volume: number): number | undefined {
  const target = readlinkAt(volume, dataDirName);
  if (!target || target.includes("/") || !target.startsWith("..") || target === dataDirName) return undefined;
  try {
    return openChild(volume, target, target, undefined);
  } catch {
    return undefined;
  }
}

/** Every regular file below the open directory `dir` (relative path → content and mode); null: something else. */
function readVersion(dir: number, prefix = "", out = new Map<string, FileProjection>()): typeof out | null {
  for (const entry of readdirSync(fdPath(dir), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      const child = openChild(dir, entry.name, rel, undefined);
      try {
        if (!readVersion(child, rel, out)) return null;
      } finally {
        closeSync(child);
      }
      continue;
    }
    if (!entry.isFile()) return null; // a symlink (or anything else) is never ours: rewrite
    const fd = openSync(fdPath(dir, entry.name), constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      out.set(rel, { data: readFileSync(fd), mode: fstatSync(fd).mode & 0o7777 });
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

/** readVersion, with anything unreadable (a directory swapped meanwhile, say) counted as "not ours": rewrite. */
function readVersionQuietly(dir: number): Map<string, FileProjection> | null {
  try {
    return readVersion(dir);
  } catch {
    return null;
  }
}

function currentPayloadMatches(current: Map<string, FileProjection> | null, payload: Payload): boolean {
  if (!current || current.size !== payload.size) return false;
  for (const [path, file] of current) {
    const wanted = payload.get(path);
    if (!wanted || !file.data.equals(wanted.data) || file.mode !== wanted.mode) return false;
  }
  return true;
}

/** Writes `payload` into the fresh version directory open as `version`, every file created O_EXCL|O_NOFOLLOW. */
function writeVersion(version: number, payload: Payload): void {
  for (const [path, file] of payload) {
    const parts = normalize(path).split(sep);
    let dir = version;
    try {
      for (const part of parts.slice(0, -1)) {
        const next = openChild(dir, part, path, 0o755);
        if (dir !== version) closeSync(dir);
        dir = next;
      }
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const fd = openSync(fdPath(dir, parts[parts.length - 1]), flags, file.mode);
      try {
        for (let written = 0; written < file.data.length;)
          written += writeSync(fd, file.data, written, file.data.length - written);
        fchmodSync(fd, file.mode); // the mode given at creation is masked by the umask; the volume's modes are not
      } finally {
        closeSync(fd);
      }
    } finally {
      if (dir !== version) closeSync(dir);
    }
  }
}

/**
 * Makes `dir` hold exactly `payload`, atomically. Returns false when it already did (nothing written), true
 * when a new version was swapped in. Safe to re-run after a crash at any point: leftovers are removed.
 */
export async function writeAtomically(dir: string, payload: Payload): Promise<boolean> {
  for (const path of payload.keys()) validatePayloadPath(path);
  const volume = openDirectoryNoFollow(dir, { mode: 0o755 });
  try {
    return swapIn(volume.fd, payload);
  } catch (err) {
    if (err instanceof UnsafePathError) throw new PayloadError(`${dir}: ${err.message}`);
    throw err;
  } finally {
    volume.close();
  }
}

function swapIn(volume: number, payload: Payload): boolean {
  const at = (name: string) => fdPath(volume, name);
  const current = openCurrentVersion(volume);
  if (current !== undefined) {
    try {
      if (currentPayloadMatches(readVersionQuietly(current), payload)) return false;
    } finally {
      closeSync(current);
    }
  }

  // 1. The new version in a fresh timestamped directory.
  const versionName = makeVersionDir(volume);
  const version = openChild(volume, versionName, versionName, undefined);
  try {
    writeVersion(version, payload);
    chmodSync(fdPath(version), 0o755); // an O_PATH descriptor takes no fchmod; its /proc link does
  } finally {
    closeSync(version);
  }
  // 2. Point ..data at it: a new symlink renamed over the old one is the atomic step.
  removeEntryNoFollow(volume, newDataDirName);
  symlinkSync(versionName, at(newDataDirName));
  if (readlinkAt(volume, dataDirName) === undefined) removeEntryNoFollow(volume, dataDirName); // not a symlink
  renameSync(at(newDataDirName), at(dataDirName));
  // 3. User-visible symlinks for new top-level names.
  const newNames = userVisibleNames(payload.keys());
  for (const name of newNames) {
    const link = `${dataDirName}/${name}`;
    if (readlinkAt(volume, name) === link) continue;
    removeEntryNoFollow(volume, name);
    symlinkSync(link, at(name));
  }
  // 4. Links of names no longer in the payload (upstream's removeUserVisiblePaths) and old versions (this swap's
  // predecessor, or a crash's leftovers): unreachable now.
  for (const entry of readdirSync(fdPath(volume))) {
    if (entry.startsWith("..")) {
      if (entry !== dataDirName && entry !== versionName) removeEntryNoFollow(volume, entry);
    } else if (!newNames.has(entry) && readlinkAt(volume, entry) === `${dataDirName}/${entry}`) {
      removeEntryNoFollow(volume, entry);
    }
  }
  return true;
}
