// `stowage csi-resizer` as its own process against the apiserver (kubeconfig) and the hostpath driver (unix
// socket): a claim patched bigger through kubectl is expanded; SIGTERM stops it with exit code 0; a bad endpoint is refused.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import { eventually } from "../../../e2e/stowage.js";
import { MiB, startWorld } from "../../../e2e/resizer.js";

const main = new URL("../../../cli/main.ts", import.meta.url).pathname;

function stowage(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", main, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

test("stowage csi-resizer expands a claim patched with kubectl and stops cleanly on SIGTERM", async (t) => {
  const world = await startWorld(t);
  const pv = await world.volume("data", 16);
  const resizer = stowage(["csi-resizer", "--csi-address", world.endpoint, "--kubeconfig", world.stowage.kubeconfig]);
  t.after(() => resizer.child.kill("SIGKILL"));
  await eventually(() => (/running against/.test(resizer.stdout()) ? true : undefined), 20_000);
  assert.match(resizer.stdout(), /^stowage csi-resizer for hostpath\.csi\.stowage\.dev running against http/m);

  await world.stowage.kubectl("patch", "pvc", "data", "-p", '{"spec":{"resources":{"requests":{"storage":"48Mi"}}}}');
  const claim = await eventually(async () => {
    const c = JSON.parse(await world.stowage.kubectl("get", "pvc", "data", "-o", "json")) as PersistentVolumeClaim;
    return c.status?.allocatedResourceStatuses?.storage === "NodeResizePending" ? c : undefined;
  }, 20_000);
  assert.equal(claim.status?.conditions?.[0]?.type, "FileSystemResizePending");
  assert.equal(
    JSON.parse(await world.stowage.kubectl("get", "pv", "data", "-o", "json")).spec.capacity.storage,
    "48Mi",
  );
  assert.equal((await world.driverCapacities()).get(pv.spec.csi!.volumeHandle), 48 * MiB);
  const described = await world.stowage.kubectl("describe", "pvc", "data");
  assert.match(described, /Normal\s+Resizing\s+.*External resizer is resizing volume data/);
  assert.match(described, /Normal\s+FileSystemResizeRequired\s+.*Require file system resize of volume on node/);

  resizer.child.kill("SIGTERM");
  const [code] = (await once(resizer.child, "exit")) as [number | null];
  assert.equal(code, 0, resizer.stderr());
});

test("stowage csi-resizer refuses a bad --csi-address (commander: exit code 1, the option named)", async () => {
  const run = stowage(["csi-resizer", "--csi-address", "tcp://x", "--kubeconfig", "/nonexistent"]);
  const [code] = (await once(run.child, "exit")) as [number | null];
  assert.equal(code, 1);
  assert.match(run.stderr(), /option '--csi-address <unix-socket>' argument 'tcp:\/\/x' is invalid/);
});
