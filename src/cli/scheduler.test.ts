// `stowage scheduler --kubeconfig <file>`: the scheduler as its own process, over HTTPS, against a running stowage.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { eventually, startStowage } from "../e2e/stowage.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));

test("stowage scheduler without --kubeconfig is refused with a message that says so", async () => {
  const { code, stderr } = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", main, "scheduler"], (err, _stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
    ),
  );
  assert.notEqual(code, 0);
  assert.match(stderr, /required option '--kubeconfig <file>' not specified/);
});

for (const leaderElect of [false, true]) {
  const how = leaderElect
    ? " with leader election (the default), holding the kube-system/kube-scheduler Lease,"
    : " with --leader-elect=false";
  test(`stowage scheduler${how} binds a pending pod over HTTPS and stops cleanly on SIGTERM`, async (t) => {
    const stowage = await startStowage(t, { store: "memory" });
    const manifest = `
apiVersion: v1
kind: Node
metadata:
  name: node-1
---
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx
`;
    const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: manifest });
    assert.equal(applied.code, 0, applied.stderr);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        main,
        "scheduler",
        "--kubeconfig",
        stowage.kubeconfig,
        ...(leaderElect ? [] : ["--leader-elect=false"]),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const exited = once(child, "exit");
    t.after(() => {
      if (child.exitCode === null) child.kill("SIGKILL");
    });
    await eventually(async () => {
      const node = await stowage.kubectl("get", "pod", "web", "-o", "jsonpath={.spec.nodeName}");
      return node === "node-1" ? node : undefined;
    }, 30_000);
    assert.match(await stowage.kubectl("describe", "pod", "web"), /Successfully assigned default\/web to node-1/);
    if (leaderElect) {
      const holder = await stowage.kubectl(
        "get",
        "lease",
        "-n",
        "kube-system",
        "kube-scheduler",
        "-o",
        "jsonpath={.spec.holderIdentity}",
      );
      assert.notEqual(holder, "");
    }
    child.kill("SIGTERM");
    const [code] = await exited;
    assert.equal(code, 0, output);
    assert.match(output, /stowage scheduler (running|started) against https:\/\/127\.0\.0\.1:\d+/);
  });
}
