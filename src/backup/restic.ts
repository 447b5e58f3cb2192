// restic as a subprocess, for what the controller does itself (the volume data is moved by mover pods, see mover.ts):
// make the repository, keep a backup's objects in it, find a backup's snapshots, read the objects back, forget.
import { spawn } from "node:child_process";

export interface Repository {
  /** A directory, or any restic repository URL. */
  url: string;
  password: string;
}

export class ResticError extends Error {}

export interface ResticSnapshot {
  id: string;
  short_id: string;
  time: string;
  tags?: string[];
  paths: string[];
}

function run(repository: Repository, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn("restic", ["--no-cache", ...args], {
      env: { ...process.env, RESTIC_REPOSITORY: repository.url, RESTIC_PASSWORD: repository.password },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", (e) => reject(new ResticError(`restic could not start: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new ResticError(`restic ${args[0]} exited ${code}: ${err.trim()}`));
    });
    child.stdin.end(input);
  });
}

/** Makes the repository unless it exists (restic refuses to init twice; `cat config` tells). */
export async function ensureRepository(repository: Repository): Promise<void> {
  try {
    await run(repository, ["cat", "config"]);
  } catch {
    await run(repository, ["init"]);
  }
}

export async function snapshots(repository: Repository, tags: string[]): Promise<ResticSnapshot[]> {
  const out = await run(repository, ["snapshots", "--json", "--tag", tags.join(",")]);
  return JSON.parse(out.toString() || "[]") as ResticSnapshot[];
}

export async function saveFile(repository: Repository, name: string, data: Buffer, tags: string[]): Promise<void> {
  const tagArgs = tags.flatMap((tag) => ["--tag", tag]);
  await run(repository, ["backup", "--stdin", "--stdin-filename", name, "--host", "stowage", ...tagArgs], data);
}

export function dumpFile(repository: Repository, snapshot: string, name: string): Promise<Buffer> {
  return run(repository, ["dump", snapshot, `/${name}`]);
}

/** Forgets the given snapshots and prunes the data nothing else references. */
export async function forget(repository: Repository, ids: string[]): Promise<void> {
  if (ids.length > 0) await run(repository, ["forget", "--prune", ...ids]);
}

/** The bytes a snapshot restores to (restic stats --mode restore-size): a claim's data as backed up. */
export async function volumeStats(repository: Repository, snapshot: string): Promise<number> {
  const out = await run(repository, ["stats", "--json", "--mode", "restore-size", snapshot]);
  return (JSON.parse(out.toString()) as { total_size: number }).total_size;
}
