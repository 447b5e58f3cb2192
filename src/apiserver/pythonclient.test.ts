// The official Python client (Debian's python3-kubernetes, installed by .ci/run) against a secured stowage with
// the admin kubeconfig: typed models without kind, watch=True, selectors, pagination, the three patch types and
// status writes, each a check of testdata/pythonclient.py.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { startStowage } from "../e2e/stowage.js";

const script = fileURLToPath(new URL("./testdata/pythonclient.py", import.meta.url));
// Debian's package installs for the system interpreter, not for a pyenv or venv one that PATH may name first
const python = "/usr/bin/python3";

function runPython(kubeconfig: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(python, [script, kubeconfig], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? (typeof err.code === "number" ? err.code : 1) : 0 });
    });
  });
}

test("the official Python client creates, lists, watches, pages, patches and writes status", async (t) => {
  const stowage = await startStowage(t);
  const { stdout, stderr, code } = await runPython(stowage.kubeconfig);
  assert.equal(code, 0, `python exited ${code}: ${stderr}${stdout}`);
  const lines = stdout.trim().split("\n");
  const failed = lines.filter((line) => !line.startsWith("ok "));
  assert.deepEqual(failed, [], stderr);
  assert.ok(lines.length >= 15, `only ${lines.length} checks ran:\n${stdout}`);
});
