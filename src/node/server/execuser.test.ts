// exec runs as the container does: its runAsUser, runAsGroup and supplementary groups (supplementalGroups, fsGroup),
// never as the agent's root. A stand-in container (its own mount namespace) on a real kubelet API over HTTPS, with
// the apiserver's client certificate.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { test, type TestContext } from "node:test";
import WebSocket from "ws";
import type { Pod } from "../../api/core/types.js";
import type { ContainerUser } from "../runtime/runtime.js";
import { createKubeletTestPki } from "../testing/kubelettls.js";
import { startKubeletServer } from "./server.js";

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", uid: "exec-user-uid" },
  spec: { nodeName: "node-1", containers: [{ name: "app", image: "busybox" }] },
};

/** A process in a mount namespace of its own, standing in for a running container. */
async function standIn(t: TestContext): Promise<number> {
  const child = spawn("unshare", ["--mount", "--propagation", "private", "sleep", "1000000"], { stdio: "ignore" });
  t.after(() => void child.kill("SIGKILL"));
  // Running once sleep has replaced unshare in the new namespace.
  for (;;) {
    const exe = await readlink(`/proc/${child.pid}/exe`).catch(() => "");
    if (exe.endsWith("/sleep")) return child.pid ?? 0;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs `command` in the container through the kubelet API and returns its stdout. */
async function execOutput(t: TestContext, user: ContainerUser | undefined, command: string): Promise<string> {
  const pki = await createKubeletTestPki();
  const pid = await standIn(t);
  const kubelet = await startKubeletServer({
    address: "127.0.0.1:0",
    tls: await pki.serving("node-1"),
    rootDir: tmpdir(),
    getPod: (namespace, name) => (namespace === "default" && name === "web" ? pod : undefined),
    runtime: () => ({
      name: "process",
      containerPid: () => pid,
      containerUser: () => user,
      killPod: () => Promise.resolve(),
    }),
    log: () => undefined,
  });
  t.after(() => kubelet.close());
  const apiserver = await pki.apiserverClient();
  const query = new URLSearchParams([
    ["command", "sh"],
    ["command", "-c"],
    ["command", command],
    ["output", "1"],
    ["error", "1"],
  ]);
  const url = `${kubelet.url.replace(/^https/, "wss")}/exec/default/web/app?${query}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["v5.channel.k8s.io"], {
      ca: apiserver.ca,
      cert: apiserver.cert,
      key: apiserver.key,
    });
    let stdout = "";
    let status = "";
    ws.on("message", (data: Buffer) => {
      if (data[0] === 1) stdout += data.subarray(1).toString();
      if (data[0] === 2) reject(new Error(`stderr: ${data.subarray(1).toString()}`));
      if (data[0] === 3) status = data.subarray(1).toString();
    });
    ws.on("close", () =>
      JSON.parse(status).status === "Success" ? resolve(stdout) : reject(new Error(`exec failed: ${status}`)),
    );
    ws.on("unexpected-response", (_req, res) => reject(new Error(`exec refused: ${res.statusCode}`)));
    ws.on("error", reject);
  });
}

test("exec runs as the container's runAsUser, runAsGroup and supplementary groups", async (t) => {
  const user = { uid: 1234, gid: 2345, groups: [3456, 4567] };
  assert.equal(await execOutput(t, user, "id -u; id -g; id -G"), "1234\n2345\n2345 3456 4567\n");
});

test("exec without supplementary groups clears the agent's", async (t) => {
  assert.equal(await execOutput(t, { uid: 1000, gid: 1000, groups: [] }, "id -u; id -G"), "1000\n1000\n");
});

test("exec in a container without securityContext ids runs as root, as the container does", async (t) => {
  assert.equal(await execOutput(t, undefined, "id -u"), "0\n");
});
