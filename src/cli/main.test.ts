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

test("controller-manager takes the node monitor periods as durations and refuses a zero grace period", async () => {
  const help = await run("controller-manager", "--help");
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--node-monitor-grace-period <duration>/);
  assert.match(help.stdout, /--node-monitor-period <duration>/);
  const refused = await run("controller-manager", "--kubeconfig", "/nonexistent", "--node-monitor-grace-period", "0s");
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /option '--node-monitor-grace-period <duration>' argument '0s' is invalid\. "0s" must be longer than zero/,
  );
});
