// The kubelet's atomic writer (pkg/volume/util/atomic_writer.go) for configMap, secret, downwardAPI and projected
// volumes: a reader of the volume sees either the whole old payload or the whole new one, never a mix.
//
//   <dir>/..2026_11_23_10_00_00.123456/<files>   a timestamped directory holds one version of the payload
//   <dir>/..data -> ..2026_11_23_10_00_00.123456  the one symlink that is swapped (rename is atomic)
//   <dir>/<key> -> ..data/<key>                   what users open: stable names through ..data
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, symlink, writeFile } from "node:fs/promises";
import { chmod } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";

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

/** The first path component of each payload path: those get a symlink in the volume's top directory. */
const userVisibleNames = (paths: Iterable<string>): Set<string> =>
  new Set([...paths].map((path) => normalize(path).split(sep)[0]));

async function currentPayloadMatches(dir: string, payload: Payload): Promise<boolean> {
  const dataDir = join(dir, dataDirName);
  let existing: string[];
  try {
    existing = await listFiles(dataDir);
  } catch {
    return false;
  }
  if (existing.length !== payload.size) return false;
  for (const path of existing) {
    const wanted = payload.get(path);
    if (!wanted) return false;
    const [data, stat] = await Promise.all([readFile(join(dataDir, path)), lstat(join(dataDir, path))]);
    if (!data.equals(wanted.data) || (stat.mode & 0o7777) !== wanted.mode) return false;
  }
  return true;
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await listFiles(join(dir, entry.name), rel)));
    else out.push(rel);
  }
  return out;
}

/**
 * Makes `dir` hold exactly `payload`, atomically. Returns false when it already did (nothing written), true
 * when a new version was swapped in. Safe to re-run after a crash at any point: leftovers are removed.
 */
export async function writeAtomically(dir: string, payload: Payload): Promise<boolean> {
  for (const path of payload.keys()) validatePayloadPath(path);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (await currentPayloadMatches(dir, payload)) return false;

  const oldTarget = await readlink(join(dir, dataDirName)).catch(() => undefined);
  const oldNames: Set<string> = oldTarget
    ? userVisibleNames(await listFiles(join(dir, dataDirName)).catch(() => []))
    : new Set();

  // 1. The new version in a fresh timestamped directory.
  const tsDir = await mkdtemp(join(dir, timestampDirPrefix()));
  for (const [path, file] of payload) {
    const full = join(tsDir, path);
    await mkdir(dirname(full), { recursive: true, mode: 0o755 });
    await writeFile(full, file.data, { mode: file.mode });
    await chmod(full, file.mode); // writeFile's mode is masked by the umask; the volume's modes are not
  }
  await chmod(tsDir, 0o755);
  // 2. Point ..data at it: a new symlink renamed over the old one is the atomic step.
  const tmpLink = join(dir, newDataDirName);
  await rm(tmpLink, { force: true });
  await symlink(tsDir.slice(dir.length + 1), tmpLink);
  await rename(tmpLink, join(dir, dataDirName));
  // 3. User-visible symlinks for new top-level names; stale ones and the old version go.
  const newNames = userVisibleNames(payload.keys());
  for (const name of newNames) {
    const link = join(dir, name);
    const existing = await readlink(link).catch(() => undefined);
    if (existing === join(dataDirName, name)) continue;
    await rm(link, { force: true, recursive: true });
    await symlink(join(dataDirName, name), link);
  }
  for (const name of oldNames) if (!newNames.has(name)) await rm(join(dir, name), { force: true });
  for (const entry of await readdir(dir)) {
    // Old timestamped dirs (this swap's predecessor, or a crash's leftovers) are unreachable now.
    if (entry.startsWith("..") && entry !== dataDirName && join(dir, entry) !== tsDir) {
      await rm(join(dir, entry), { recursive: true, force: true });
    }
  }
  return true;
}
