// `stowage csi-provisioner` refuses bad flags with a message that says what to fix (DESIGN.md's CLI contract).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

const runner = fileURLToPath(new URL("./testing/csiprovisioner-run.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function run(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", runner, "csi-provisioner", ...args],
      { cwd: repoRoot },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

const cases = [
  {
    name: "a CSI address that is not a unix socket",
    args: ["--csi-address", "tcp://1.2.3.4:10000", "--kubeconfig", "k"],
    want: /want unix:\/\/\/absolute\/path\/csi\.sock/,
  },
  {
    name: "no --kubeconfig",
    args: ["--csi-address", "unix:///tmp/x.sock"],
    want: /required option '--kubeconfig <file>' not specified/,
  },
  {
    name: "a kubeconfig that does not exist",
    args: ["--csi-address", "unix:///tmp/x.sock", "--kubeconfig", "/nonexistent/kubeconfig"],
    want: /error: --kubeconfig: /,
  },
  {
    name: "a timeout that is not a duration",
    args: ["--csi-address", "unix:///tmp/x.sock", "--kubeconfig", "k", "--timeout", "soon"],
    want: /"soon" is not a duration: want e\.g\. 10s, 500ms or 1m/,
  },
  {
    name: "an unknown flag",
    args: ["--csi-address", "unix:///tmp/x.sock", "--kubeconfig", "k", "--bogus"],
    want: /unknown option '--bogus'/,
  },
];
for (const c of cases) {
  test(`stowage csi-provisioner refuses ${c.name}`, async () => {
    const result = await run(...c.args);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, c.want);
  });
}
