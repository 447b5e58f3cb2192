import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { promisify } from "node:util";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", main, ...args]).then(
    (out) => ({ code: 0, ...out }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );

test("stowage --help describes the command", async () => {
  const { code, stdout } = await run("--help");
  assert.equal(code, 0);
  assert.match(stdout, /Usage: stowage/);
});

test("an unknown command is refused with a message that says so", async () => {
  const { code, stderr } = await run("no-such-command");
  assert.notEqual(code, 0);
  assert.match(stderr, /unknown command 'no-such-command'/);
});
