// Faults for tests, each the real thing: kill -9 (a crash, an OOM kill), SIGSTOP/SIGCONT (a process frozen past its
// lease: a long GC pause, a stuck VM), a machine's cable pulled (machines.ts), and a disk that fills up (a tmpfs of a
// fixed size mounted over a dir, filled to ENOSPC and emptied again).
import { execFile, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdir, open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

/** kill -9, resolved once the process is gone (a stopped process dies too: SIGKILL needs no SIGCONT). */
export async function kill9(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const gone = once(child, "exit");
  child.kill("SIGKILL");
  await gone;
}

/** The state letter of /proc/<pid>/stat: R running, S sleeping, T stopped, Z zombie, … */
export async function processState(pid: number): Promise<string> {
  const { stdout } = await run("cat", [`/proc/${pid}/stat`]);
  // the command name (field 2) is in parentheses and may hold spaces; the state follows the last ')'
  return stdout.slice(stdout.lastIndexOf(")") + 2, stdout.lastIndexOf(")") + 3);
}

/** SIGSTOP, resolved once the kernel reports the process stopped; `resume` sends SIGCONT. */
export async function freeze(child: ChildProcess): Promise<{ resume(): void }> {
  const pid = child.pid;
  if (pid === undefined || exited(child)) throw new Error("freeze: the process is not running");
  child.kill("SIGSTOP");
  const deadline = Date.now() + 5_000;
  while ((await processState(pid)) !== "T") {
    if (Date.now() > deadline) throw new Error(`freeze: process ${pid} did not stop`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { resume: () => void (exited(child) ? undefined : child.kill("SIGCONT")) };
}

export interface SmallDisk {
  dir: string;
  /** Writes a file until the disk says ENOSPC. */
  fill(): Promise<void>;
  /** Removes what fill wrote. */
  restore(): Promise<void>;
}

/** A tmpfs of `bytes` mounted at `dir` (created), unmounted after the test. */
export async function smallDisk(t: TestContext, dir: string, bytes: number): Promise<SmallDisk> {
  await mkdir(dir, { recursive: true });
  await run("mount", ["-t", "tmpfs", "-o", `size=${bytes}`, "stowage-small-disk", dir]);
  t.after(() => run("umount", ["-l", dir]).catch(() => undefined));
  const filler = join(dir, ".stowage-filler");
  return {
    dir,
    async fill() {
      const file = await open(filler, "a");
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      try {
        for (;;) await file.write(chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      } finally {
        await file.close();
      }
    },
    restore: () => rm(filler, { force: true }),
  };
}
