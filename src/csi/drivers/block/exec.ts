// Every block-device operation is a real command (losetup, blkid, mkfs, mount, …). They run through here so
// that a failure carries the command line, its exit code and stderr: a CSI error message a user can act on.
import { execFile } from "node:child_process";

export class CommandError extends Error {
  override name = "CommandError";
  constructor(
    readonly command: string,
    readonly args: readonly string[],
    /** The exit code, or undefined when the command could not be started (not installed) or was killed. */
    readonly exitCode: number | undefined,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    const detail = stderr.trim() || stdout.trim() || `exit code ${exitCode ?? "unknown"}`;
    super(`${command} ${args.join(" ")}: ${detail}`);
  }

  /** The command is not on the PATH (ENOENT from spawn). */
  get notFound(): boolean {
    return this.exitCode === undefined && /ENOENT/.test(this.stderr);
  }
}

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs `command args…` without a shell; rejects with CommandError on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      // LC_ALL=C: we parse some outputs (resize2fs, blkid) and want them in one language.
      { env: { ...process.env, LC_ALL: "C" }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const code = typeof err.code === "number" ? err.code : undefined;
        const why = code === undefined ? `${stderr}${stderr ? "\n" : ""}${err.message}` : stderr;
        reject(new CommandError(command, args, code, stdout, why));
      },
    );
  });
}

/** True when `command` can be found on the PATH (used to decide which filesystems we can make). */
export async function haveCommand(command: string): Promise<boolean> {
  try {
    await run("sh", ["-c", `command -v "$1"`, "sh", command]);
    return true;
  } catch {
    return false;
  }
}
