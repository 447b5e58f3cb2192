// `stowage node --runtime process` as its own process against an apiserver (as on a second machine): a pod bound
// to it runs its command with its emptyDir, its container logs rotate as its --container-log-max-* flags say, and SIGTERM to the agent stops every container before it exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
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
      "--container-log-max-size",
      "2Ki",
      "--container-log-max-files",
      "3",
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

  // --container-log-max-size 2Ki --container-log-max-files 3: a chatty container keeps three whole files at most.
  const chatty = await stowage.kubectlResult(["apply", "-f", "-"], {
    input: `
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  nodeName: far
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'i=0; while [ $i -lt 500 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done; sleep 1000']
`,
  });
  assert.equal(chatty.code, 0, chatty.stderr);
  const uid = (await stowage.kubectl("get", "pod/chatty", "-o", "jsonpath={.metadata.uid}")).trim();
  const logDir = join(rootDir, "logs", "pods", `default_chatty_${uid}`, "main");
  const files = await eventually(async () => {
    const names = (await readdir(logDir).catch(() => [])).sort();
    const current = await readFile(join(logDir, "0.log"), "utf8").catch(() => "");
    return current.includes("line 499 ") ? names : undefined;
  }, 30_000);
  assert.equal(files.length, 3, files.join(" "));
  for (const name of files) assert.ok((await stat(join(logDir, name))).size <= 2048, `${name} is over 2Ki`);
  assert.match(files[1], /^0\.log\.\d{8}-\d{6}(\.\d+)?$/);

  agent.kill("SIGTERM");
  assert.equal(await exited, 0, output);
  assert.deepEqual(await containerProcesses(rootDir), [], "no container outlives its agent");
});
