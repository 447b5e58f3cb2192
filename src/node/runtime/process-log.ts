// A container's stdout and stderr into its log file in the CRI format the kubelet's `kubectl logs` reads
// (`<RFC3339Nano> <stdout|stderr> <F|P> <text>`): one record per line; a line longer than the runtime's buffer is
// split into P(artial) records ending with an F(ull) one, as containerd's cri logger does (16 KiB).
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import type { Readable } from "node:stream";

const maxRecord = 16 * 1024;

export class ContainerLog {
  private constructor(private readonly out: WriteStream) {}

  static async open(path: string): Promise<ContainerLog> {
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    return new ContainerLog(createWriteStream(path, { flags: "a", mode: 0o640 }));
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
      this.out.write(`${new Date().toISOString()} ${name} P `);
      this.out.write(Buffer.concat([rest.subarray(0, maxRecord), Buffer.from("\n")]));
      rest = rest.subarray(maxRecord);
    }
    this.out.write(
      Buffer.concat([Buffer.from(`${new Date().toISOString()} ${name} ${tag} `), rest, Buffer.from("\n")]),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(resolve));
  }
}
