// The atomic writer's layout (upstream's atomic_writer.go), a reader racing updates, and symlinks planted in the
// volume, which the writer replaces or removes as links and never writes, reads or empties through.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { writeAtomically, type Payload } from "./atomicwriter.js";

const payloadOf = (files: Record<string, string>, mode = 0o644): Payload =>
  new Map(Object.entries(files).map(([path, text]) => [path, { data: Buffer.from(text), mode }]));

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "atomic-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("a payload is a timestamped version behind ..data, keys are links through ..data, old versions go", async (t) => {
  const dir = join(await tempDir(t), "volume");
  assert.equal(await writeAtomically(dir, payloadOf({ a: "1", "sub/b": "2" }, 0o600)), true);
  const version = await readlink(join(dir, "..data"));
  assert.match(version, /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/);
  assert.equal(await readlink(join(dir, "a")), "..data/a");
  assert.equal(await readlink(join(dir, "sub")), "..data/sub");
  assert.equal(await readFile(join(dir, "sub/b"), "utf8"), "2");
  assert.equal((await stat(join(dir, "a"))).mode & 0o777, 0o600);
  assert.equal(await writeAtomically(dir, payloadOf({ a: "1", "sub/b": "2" }, 0o600)), false, "unchanged");

  await writeAtomically(dir, payloadOf({ a: "3", c: "4" }));
  const entries = (await readdir(dir)).sort();
  const next = await readlink(join(dir, "..data"));
  assert.notEqual(next, version);
  assert.deepEqual(entries, [next, "..data", "a", "c"].sort(), "the old version and the sub link are gone");
  assert.equal(await readFile(join(dir, "a"), "utf8"), "3");
});

test("a reader racing updates sees the whole old set or the whole new set, never a mix", async (t) => {
  const dir = join(await tempDir(t), "volume");
  const old = { x: "old", y: "old", "d/z": "old" };
  const next = { x: "new", y: "new", w: "new" };
  await writeAtomically(dir, payloadOf(old));
  // Like a program that reloads its config: it enters ..data once and reads every file from there.
  const reader = spawn(
    "sh",
    [
      "-c",
      `while :; do if cd "${dir}/..data" 2>/dev/null; then grep -r . . 2>/dev/null; echo "end $?"; cd /; fi; done`,
    ],
    { stdio: ["ignore", "pipe", "ignore"] },
  );
  let output = "";
  reader.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  t.after(() => void reader.kill("SIGKILL"));
  for (let i = 0; i < 300; i++) await writeAtomically(dir, payloadOf(i % 2 === 0 ? next : old));
  const closed = once(reader, "close"); // all it wrote read
  reader.kill("SIGKILL");
  await closed;

  const sets = [
    ["./d/z:old", "./x:old", "./y:old"],
    ["./w:new", "./x:new", "./y:new"],
  ];
  let complete = 0;
  let lines: string[] = [];
  for (const line of output.split("\n")) {
    if (!line.startsWith("end ")) {
      lines.push(line);
      continue;
    }
    // Every line of one read from one version. A read may come up short (its version was removed while it read,
    // which a reader notices and retries), but never holds a file of the other version.
    const from = sets.find((set) => lines.every((seen) => set.includes(seen)));
    assert.ok(from, `a reader saw a mix: ${lines.join(" ")}`);
    if (line === "end 0" && lines.length === from.length) complete++;
    lines = [];
  }
  t.diagnostic(`${complete} complete reads during 300 updates`);
  assert.ok(complete > 0, "the reader never read a whole set");
});

test("symlinks planted in the volume are replaced or removed as links, never followed", async (t) => {
  const base = await tempDir(t);
  const dir = join(base, "volume");
  const outside = join(base, "outside"); // stands for the node's /etc
  await mkdir(join(outside, "deep"), { recursive: true });
  await writeFile(join(outside, "passwd"), "the node's");
  await writeFile(join(outside, "deep", "keep"), "the node's");
  await writeAtomically(dir, payloadOf({ a: "1" }));
  const version = await readlink(join(dir, "..data"));
  await symlink(outside, join(dir, "..2001_01_01_00_00_00.1")); // a stale-looking version
  await symlink(outside, join(dir, "..data_tmp"));
  await symlink(join(outside, "passwd"), join(dir, "b")); // a key's name, aimed at a node file
  await symlink(join(outside, "passwd"), join(dir, version, "planted")); // inside the current version

  await writeAtomically(dir, payloadOf({ a: "2", b: "3" }));
  assert.equal(await readFile(join(outside, "passwd"), "utf8"), "the node's");
  assert.deepEqual((await readdir(outside)).sort(), ["deep", "passwd"]);
  assert.deepEqual(await readdir(join(outside, "deep")), ["keep"]);
  assert.equal(await readlink(join(dir, "b")), "..data/b");
  assert.equal(await readFile(join(dir, "b"), "utf8"), "3");
  assert.equal((await lstat(join(dir, "..data_tmp")).catch(() => undefined)) === undefined, true);

  // The volume's own path through a symlink: refused, nothing written where it points.
  await symlink(outside, join(base, "link"));
  await assert.rejects(writeAtomically(join(base, "link", "v"), payloadOf({ a: "1" })), /link is a symlink/);
  assert.deepEqual((await readdir(outside)).sort(), ["deep", "passwd"]);
});
