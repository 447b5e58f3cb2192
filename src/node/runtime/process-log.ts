// A container's stdout and stderr into its log file in the CRI format the kubelet's `kubectl logs` reads
// (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`): one record per line; a line longer than the runtime's buffer is
// split into P(artial) records ending with an F(ull) one, as containerd's cri logger does (16 KiB).
//
// Rotation (the kubelet's --container-log-max-size 10Mi and --container-log-max-files 5): a record that would take
// the file past the size renames it to <file>.<YYYYMMDD-hhmmss> (the container log manager's names) and starts a
// new one; only the newest max-files - 1 rotated files are kept. Done by the writer itself, between two records,
// so no line is split or lost (the old stream's last writes land in the renamed file: it holds the descriptor).
import { createWriteStream, openSync, readdirSync, renameSync, statSync, unlinkSync, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Readable } from "node:stream";

const maxRecord = 16 * 1024;

export interface LogRotation {
  /** --container-log-max-size in bytes (default 10 MiB). */
  maxSize: number;
  /** --container-log-max-files, the current file included (default 5; at least 2). */
  maxFiles: number;
}

export const defaultLogRotation: LogRotation = { maxSize: 10 * 1024 * 1024, maxFiles: 5 };

/** The container log manager's rotated name: <file>.<YYYYMMDD-hhmmss> (UTC), made unique within the second. */
function rotatedName(path: string, now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  let name = `${path}.${stamp}`;
  for (let i = 1; existsQuietly(name); i++) name = `${path}.${stamp}.${i}`;
  return name;
}

function existsQuietly(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Opened at once (not when the stream gets to it), so the file is there to rename whenever rotation comes. */
const openLog = (path: string): WriteStream => createWriteStream(path, { fd: openSync(path, "a", 0o640) });

export class ContainerLog {
  private written: number;

  private constructor(
    private out: WriteStream,
    private readonly path: string,
    private readonly rotation: LogRotation,
  ) {
    this.written = existsQuietly(path) ? statSync(path).size : 0;
  }

  static async open(path: string, rotation: LogRotation = defaultLogRotation): Promise<ContainerLog> {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    return new ContainerLog(openLog(path), path, rotation);
  }

  /** Before a record of `size` bytes: rotate if it would take the file past the limit. */
  private rotateFor(size: number): void {
    if (this.written === 0 || this.written + size <= this.rotation.maxSize) return;
    renameSync(this.path, rotatedName(this.path, new Date()));
    this.out.end();
    this.out = openLog(this.path);
    this.written = 0;
    const prefix = `${basename(this.path)}.`;
    const rotated = readdirSync(dirname(this.path))
      .filter((name) => name.startsWith(prefix))
      .sort();
    for (const name of rotated.slice(0, Math.max(0, rotated.length - (this.rotation.maxFiles - 1))))
      unlinkSync(join(dirname(this.path), name));
  }

  private write(bytes: Buffer): void {
    this.rotateFor(bytes.length);
    this.out.write(bytes);
    this.written += bytes.length;
  }

  /** Copies one stream into the log until it ends; resolves once its last line is written. */
  follow(stream: Readable, name: "stdout" | "stderr"): Promise<void> {
    let pending: Buffer = Buffer.alloc(0);
    return new Promise((resolve) => {
      stream.on("data", (chunk: Buffer) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let start = 0;
        for (;;) {
          const newline = pending.indexOf(10, start);
          if (newline < 0) break;
          this.record(name, pending.subarray(start, newline));
          start = newline + 1;
        }
        pending = pending.subarray(start);
        while (pending.length >= maxRecord) {
          this.record(name, pending.subarray(0, maxRecord), "P");
          pending = pending.subarray(maxRecord);
        }
      });
      const end = () => {
        // A last line without a newline is still a whole line (containerd tags it F too).
        if (pending.length) this.record(name, pending);
        pending = Buffer.alloc(0);
        resolve();
      };
      stream.on("end", end);
      stream.on("error", end);
    });
  }

  private record(name: string, text: Buffer, tag: "F" | "P" = "F"): void {
    // Chunks longer than a record: write partial records, then the rest as the full one.
    let rest = text;
    while (rest.length > maxRecord) {
      const head = Buffer.from(`${new Date().toISOString()} ${name} P `);
      this.write(Buffer.concat([head, rest.subarray(0, maxRecord), Buffer.from("\n")]));
      rest = rest.subarray(maxRecord);
    }
    this.write(Buffer.concat([Buffer.from(`${new Date().toISOString()} ${name} ${tag} `), rest, Buffer.from("\n")]));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
