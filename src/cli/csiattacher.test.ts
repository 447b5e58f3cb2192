// `stowage csi-attacher` as an operator runs it: flags checked up front, then attaching through the driver at
// --csi-address for the apiserver in --kubeconfig until SIGTERM.
import assert from "node:assert/strict";
import { hostname } from "node:os";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { attachmentName } from "../api/storage/attachmentnames.js";
import { driverName, startWorld } from "../e2e/attacher.js";
import { eventually } from "../e2e/stowage.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", main, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    ),
  );

const refused = [
  {
    name: "an address that is not a unix socket",
    args: ["--csi-address", "tcp://127.0.0.1:10000", "--kubeconfig", "/nonexistent"],
    stderr: /invalid CSI endpoint "tcp:\/\/127\.0\.0\.1:10000": want unix:\/\/\/absolute\/path\/csi\.sock/,
  },
  {
    name: "a missing --kubeconfig",
    args: ["--csi-address", "unix:///tmp/x.sock"],
    stderr: /required option '--kubeconfig <file>' not specified/,
  },
  {
    name: "a timeout that is not a duration",
    args: ["--csi-address", "unix:///tmp/x.sock", "--kubeconfig", "/x", "--timeout", "soon"],
    stderr: /"soon" is not a duration: want e\.g\. 10s, 500ms or 1m/,
  },
  {
    name: "a kubeconfig that cannot be read",
    args: ["--csi-address", "unix:///tmp/x.sock", "--kubeconfig", "/nonexistent/kubeconfig"],
    stderr: /--kubeconfig: .*nonexistent/,
  },
];
for (const c of refused) {
  test(`stowage csi-attacher refuses ${c.name}`, async () => {
    const result = await run("csi-attacher", ...c.args);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, c.stderr);
  });
}

test("stowage csi-attacher attaches a VolumeAttachment through the driver and stops on SIGTERM", async (t) => {
  const world = await startWorld(t);
  const volume = await world.blockVolume("data");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      main,
      "csi-attacher",
      "--csi-address",
      world.drivers["node-1"].endpoint,
      "--kubeconfig",
      world.stowage.kubeconfig,
      "--http-endpoint",
      "127.0.0.1:0",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = once(child, "exit");
  t.after(() => child.kill("SIGKILL"));

  const name = attachmentName(volume.spec.csi!.volumeHandle, driverName, "node-2");
  await world.client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name },
    spec: { attacher: driverName, nodeName: "node-2", source: { persistentVolumeName: "data" } },
  });
  await world.stowage.kubectl(
    "wait",
    `volumeattachment/${name}`,
    "--for=jsonpath={.status.attached}=true",
    "--timeout=30s",
  );
  assert.deepEqual((await world.published()).get(volume.spec.csi!.volumeHandle), ["node-2"]);
  assert.match(stdout, /stowage csi-attacher for block\.csi\.stowage\.dev running against http/);
  // leader election on by default, on upstream's Lease for the driver, held under the hostname
  const leaseName = "external-attacher-leader-block-csi-stowage-dev";
  const lease = await world.client.leases.get("default", leaseName);
  assert.equal(lease.spec?.holderIdentity, hostname().replace(/[^a-zA-Z0-9-]/g, "-"));
  // --http-endpoint: csi-lib-utils' metrics of its calls to the driver
  const metricsUrl = /^metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)$/m.exec(stdout)?.[1];
  assert.ok(metricsUrl, stdout);
  const metrics = await (await fetch(metricsUrl)).text();
  const publish = `driver_name="block.csi.stowage.dev",method_name="/csi.v1.Controller/ControllerPublishVolume"`;
  assert.match(
    metrics,
    new RegExp(`^csi_sidecar_operations_seconds_count\\{${publish},grpc_status_code="OK"\\} [1-9]\\d*$`, "m"),
  );

  child.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 0);
  assert.equal((await world.client.leases.get("default", leaseName)).spec?.holderIdentity, "", "released on stop");
  // Stopped: a deletion now waits for an attacher (the finalizer stays) — nothing is detached behind its back.
  await world.client.volumeAttachments.delete(name);
  const pending = await eventually(async () => {
    const attachment = await world.client.volumeAttachments.get(name);
    return attachment.metadata.deletionTimestamp ? attachment : undefined;
  });
  assert.deepEqual(pending.metadata.finalizers, ["external-attacher/block-csi-stowage-dev"]);
});
