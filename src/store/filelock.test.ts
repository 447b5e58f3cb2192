// The store's lock is the kernel's flock: one owner at a time among racing processes, and a holder killed with
// SIGKILL leaves nothing that stops the next start — whatever its lock file says (a pid reused by a restarted
// container, our own pid, garbage).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test, type TestContext } from "node:test";
import { SqliteStore, StoreInUseError } from "./sqlite.js";

const holder = fileURLToPath(new URL("testdata/holder.ts", import.meta.url));

async function tempFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-lock-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, "stowage.db");
}

/** Starts a holder; resolves with its first line ("open <pid>" or "in use: …") and the process. */
async function startHolder(t: TestContext, file: string) {
  const child = spawn(process.execPath, ["--import", "tsx", holder, file], { stdio: ["ignore", "pipe", "inherit"] });
  t.after(() => child.kill("SIGKILL"));
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  while (!out.includes("\n")) {
    const [exited] = await Promise.race([once(child.stdout, "data"), once(child, "exit").then(() => [true])]);
    if (exited === true && !out.includes("\n")) throw new Error(`holder exited without a word`);
  }
  return { line: out.trim(), child };
}

test("a store held by a process killed with SIGKILL opens at once on restart; while it lives, open is refused naming it", async (t) => {
  const file = await tempFile(t);
  const first = await startHolder(t, file);
  assert.equal(first.line, `open ${first.child.pid}`);
  assert.throws(
    () => SqliteStore.open(file),
    (err: unknown) =>
      err instanceof StoreInUseError &&
      err.pid === first.child.pid &&
      err.message.includes(`is in use by another stowage process (pid ${first.child.pid}); stop it first`),
  );
  first.child.kill("SIGKILL");
  await once(first.child, "exit");
  const store = SqliteStore.open(file);
  await store.close();
});

test("whatever a lock file left behind says, a start with no live owner succeeds", async (t) => {
  const file = await tempFile(t);
  // our own pid (a container's process restarted as the same pid), a live stranger's (pid 1), garbage, empty
  for (const content of [`${process.pid}\n`, "1\n", "not a pid", ""]) {
    await writeFile(`${file}.lock`, content);
    const store = SqliteStore.open(file);
    await store.close();
  }
});

test("of processes racing to open one store, exactly one owns it", async (t) => {
  const file = await tempFile(t);
  const lines = (await Promise.all([1, 2, 3, 4].map(() => startHolder(t, file)))).map((h) => h.line);
  assert.equal(lines.filter((l) => l.startsWith("open ")).length, 1, lines.join("\n"));
  assert.equal(lines.filter((l) => l.startsWith("in use: ")).length, 3, lines.join("\n"));
});
