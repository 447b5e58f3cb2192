// Mounts under a test's data dir, read from /proc/self/mountinfo (what findmnt reads), and their cleanup: a test
// that fails half-way must not leave bind or loop mounts behind for the next one (or for `rm -rf` to walk into).
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

const run = promisify(execFile);

/** mountinfo escapes spaces, tabs, newlines and backslashes as octal. */
const unescape = (field: string) =>
  field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  return [...new Set(await mountEntriesUnder(dir))].sort((a, b) => b.length - a.length);
}

/** Every mount table entry at or under `dir`, a path mounted twice listed twice: what shows a doubled bind. */
export async function mountEntriesUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => unescape(line.split(" ")[4]))
    .filter((target) => target === dir || target.startsWith(prefix))
    .sort();
}

/** findmnt --mountpoint: is `path` itself a mount point? */
export async function isMountPoint(path: string): Promise<boolean> {
  try {
    await run("findmnt", ["-n", "--mountpoint", path]);
    return true;
  } catch {
    return false;
  }
}

/** Lazily unmounts everything below `dir` and detaches loop devices backed by files there. Never throws. */
export async function unmountUnder(dir: string): Promise<void> {
  for (let pass = 0; pass < 3; pass++) {
    const targets = await mountsUnder(dir).catch(() => []);
    if (targets.length === 0) break;
    for (const target of targets) await run("umount", ["-l", target]).catch(() => undefined);
  }
  try {
    const { stdout } = await run("losetup", ["-n", "-O", "NAME,BACK-FILE", "-l"]);
    for (const line of stdout.split("\n")) {
      const [device, backing] = line.trim().split(/\s+/, 2);
      if (device && backing?.startsWith(`${dir}/`)) await run("losetup", ["-d", device]).catch(() => undefined);
    }
  } catch {
    // no losetup, or no loop devices: nothing to detach
  }
}
