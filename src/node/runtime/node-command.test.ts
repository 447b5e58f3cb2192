// `stowage node --runtime process` as its own process against an apiserver (as on a second machine): a pod bound
// to it runs its command with its emptyDir, and SIGTERM to the agent stops every container before it exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { controllerManagerComponent } from "../../e2e/parts.js";
import { eventually, startStowage } from "../../e2e/stowage.js";
import { containerProcesses } from "../../e2e/processruntime.js";
import { kubeletTlsFlags } from "../../e2e/kubelettls.js";

const main = fileURLToPath(new URL("../../cli/main.ts", import.meta.url));

test("stowage node --runtime process runs a pod's containers and stops them when it is stopped", async (t) => {
  const stowage = await startStowage(t, { store: "memory", components: [controllerManagerComponent] });
  const rootDir = await mkdtemp(join(tmpdir(), "stowage-node-process-"));
  const agent = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      main,
      "node",
      "--kubeconfig",
      stowage.kubeconfig,
      "--node-name",
      "far",
      "--root-dir",
      rootDir,
      "--runtime",
      "process",
      ...(await kubeletTlsFlags(stowage.dataDir, "far")),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  agent.stdout.on("data", (d: Buffer) => (output += d.toString()));
  agent.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => agent.on("exit", (code) => resolve(code)));
  t.after(async () => {
    if (agent.exitCode === null) agent.kill("SIGKILL");
    for (const pid of await containerProcesses(rootDir)) process.kill(pid, "SIGKILL");
    await rm(rootDir, { recursive: true, force: true });
  });
  await eventually(() => (output.includes("stowage node far running") ? true : undefined), 30_000);

  const apply = await stowage.kubectlResult(["apply", "-f", "-"], {
    input: `
apiVersion: v1
kind: Pod
metadata: {name: remote}
spec:
  nodeName: far
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'echo "on $(cat /etc/hostname 2>/dev/null || hostname)" > /scratch/hello; cat /scratch/hello; sleep 1000']
      volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes: [{name: scratch, emptyDir: {}}]
`,
  });
  assert.equal(apply.code, 0, apply.stderr);
  await stowage.kubectl("wait", "pod/remote", "--for=condition=Ready", "--timeout=30s");
  assert.ok((await containerProcesses(rootDir)).length > 0, "the container runs on the node");

  agent.kill("SIGTERM");
  assert.equal(await exited, 0, output);
  assert.deepEqual(await containerProcesses(rootDir), [], "no container outlives its agent");
});
