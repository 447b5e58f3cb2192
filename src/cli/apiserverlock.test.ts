// Two `stowage apiserver`s on one SQLite file: the second is refused with a message that names the first, and
// once the first is killed with SIGKILL (no clean-up at all) a new one starts on the same file.
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test, type TestContext } from "node:test";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

function apiserver(t: TestContext, db: string): ChildProcessWithoutNullStreams {
  const child = spawn(process.execPath, [
    ...["--import", "tsx", main, "apiserver", "--store", `sqlite:${db}`, "--listen", "127.0.0.1:0"],
  ]);
  t.after(() => child.kill("SIGKILL"));
  return child;
}

/** Resolves once the apiserver says it serves; rejects with its output if it exits first. */
async function serving(child: ChildProcessWithoutNullStreams): Promise<void> {
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", () => out.includes("serving at") && resolve());
    child.once("exit", (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

test("a second apiserver on the same database is refused; after a SIGKILL the next start succeeds", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-apiserver-lock-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const db = join(dir, "stowage.db");
  const first = apiserver(t, db);
  await serving(first);

  const second = apiserver(t, db);
  let stderr = "";
  second.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(second, "exit")) as [number];
  assert.equal(code, 1, stderr);
  assert.match(
    stderr,
    new RegExp(
      `--store sqlite:.*stowage\\.db: store .*stowage\\.db is in use by another stowage process \\(pid ${first.pid}\\)`,
    ),
  );

  first.kill("SIGKILL");
  await once(first, "exit");
  await serving(apiserver(t, db));
});
