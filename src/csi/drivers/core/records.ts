// How a driver's state records reach the disk: written whole to a temporary file, fsynced, and renamed into place,
// so a crash at any instant leaves either the old record or the new one, never a torn one. Read back, a record is
// input like any other (a hand edit, another version): the isObject/isStringMap guards are its parser's pieces.
import { open, readFile, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

export interface AtomicWriteOptions {
  /** The temporary file (default `<file>.tmp`); it must be on the same filesystem, for rename. */
  tmp?: string;
  /** Mode of a newly made file (default 0o666 before the umask). */
  mode?: number;
  /** Also fsync the directory, so the rename itself survives a power cut (not just the file's bytes). */
  syncDirectory?: boolean;
}

/** Writes `data` to `file` atomically: temporary file, fsync, rename (and, when asked, fsync of the directory). */
export async function writeFileAtomic(file: string, data: string, options: AtomicWriteOptions = {}): Promise<void> {
  const tmp = options.tmp ?? `${file}.tmp`;
  const handle = await open(tmp, "w", options.mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  if (options.syncDirectory) await syncDirectoryOf(file);
}

/** fsyncs the directory holding `file`: a created or renamed entry is durable only then. */
export async function syncDirectoryOf(file: string): Promise<void> {
  const dir = await open(dirname(file), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The file's text, or undefined when there is no such file. */
export async function readOptionalFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** Removes a file; one already gone is fine (every delete may be a retry). */
export async function removeFile(file: string): Promise<void> {
  await unlink(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT") throw err;
  });
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export const isStringMap = (v: unknown): v is Record<string, string> =>
  isObject(v) && Object.values(v).every((x) => typeof x === "string");
