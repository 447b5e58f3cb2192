// Not root, no mounts: the driver says so at startup and refuses to stage or publish, instead of pretending.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmod } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { CsiClient } from "../../client.js";
import { Code, CsiError } from "../../errors.js";
import type { VolumeCapability } from "../../generated/csi/v1/VolumeCapability.js";
import { repoRoot, tempDriverDir } from "./testing/driver.js";

const rwo: VolumeCapability = { mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } };

test("run as an unprivileged user, the driver warns at startup and refuses NodeStageVolume", async (t) => {
  const paths = await tempDriverDir(t);
  await chmod(paths.dir, 0o777);
  const child = spawn(
    "setpriv",
    [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "env",
      "HOME=/tmp",
      process.execPath,
      "--import",
      "tsx",
      fileURLToPath(new URL("./testing/run-driver.ts", import.meta.url)),
      paths.endpoint,
      "node-1",
      paths.stateDir,
    ],
    { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] },
  );
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (stderr += chunk));

  const client = await CsiClient.connect(paths.endpoint, { readyTimeoutMs: 20_000 });
  t.after(() => client.close());
  // The warning is written before the socket opens; let the pipe catch up with the socket.
  while (!stderr.includes(" serving ")) await once(child.stderr, "data");
  assert.match(stderr, /WARNING: bind mounts are unavailable \(not running as root \(uid 65534\)\)/);

  // The controller side still works: a volume is just a directory.
  const { volume } = await client.controller.CreateVolume({ name: "v", volume_capabilities: [rwo] });
  await assert.rejects(
    client.node.NodeStageVolume({
      volume_id: volume!.volume_id,
      staging_target_path: `${paths.dir}/staging`,
      volume_capability: rwo,
    }),
    (err: unknown) => {
      assert.ok(err instanceof CsiError);
      assert.equal(err.code, Code.FAILED_PRECONDITION);
      assert.match(err.message, /cannot mount on this node: not running as root/);
      return true;
    },
  );
});
