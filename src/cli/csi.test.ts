import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { access, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { CsiClient } from "../csi/client.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const run = (...args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", main, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    ),
  );

const cases = [
  {
    name: "an endpoint that is not a unix socket is refused with the form to use",
    args: ["csi", "hostpath", "--endpoint", "tcp://127.0.0.1:10000", "--node-id", "n", "--state-dir", "/tmp/x"],
    stderr: /invalid CSI endpoint "tcp:\/\/127\.0\.0\.1:10000": want unix:\/\/\/absolute\/path\/csi\.sock/,
  },
  {
    name: "an unknown driver is refused naming the known ones",
    args: ["csi", "nfs", "--endpoint", "unix:///tmp/x.sock", "--node-id", "n", "--state-dir", "/tmp/x"],
    stderr: /unknown driver "nfs": want hostpath or block/,
  },
  {
    name: "a missing --node-id is refused",
    args: ["csi", "hostpath", "--endpoint", "unix:///tmp/x.sock", "--state-dir", "/tmp/x"],
    stderr: /required option '--node-id <name>' not specified/,
  },
  {
    name: "a capacity that is not a quantity is refused",
    args: [
      "csi",
      "hostpath",
      "--endpoint",
      "unix:///tmp/x.sock",
      "--node-id",
      "n",
      "--state-dir",
      "/tmp/x",
      "--capacity",
      "lots",
    ],
    stderr: /lots: want bytes like 10Gi or 500M/,
  },
];

for (const c of cases) {
  test(`stowage csi: ${c.name}`, async () => {
    const { code, stderr } = await run(...c.args);
    assert.notEqual(code, 0);
    assert.match(stderr, c.stderr);
  });
}

test("stowage csi hostpath serves on its socket until SIGTERM, then removes the socket", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "cli-csi-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const socket = join(dir, "csi.sock");
  const child = spawn(process.execPath, [
    "--import",
    "tsx",
    main,
    "csi",
    "hostpath",
    "--endpoint",
    `unix://${socket}`,
    "--node-id",
    "node-7",
    "--state-dir",
    join(dir, "state"),
    "--capacity",
    "10Gi",
    "--max-volumes-per-node",
    "5",
  ]);
  t.after(() => child.kill("SIGKILL"));
  const client = await CsiClient.connect(`unix://${socket}`, { readyTimeoutMs: 20_000 });
  t.after(() => client.close());
  assert.equal((await client.pluginInfo()).name, "hostpath.csi.stowage.dev");
  const info = await client.nodeInfo();
  assert.equal(info.node_id, "node-7");
  assert.equal(info.max_volumes_per_node, 5);
  assert.equal((await client.controller.GetCapacity({})).available_capacity, 10 * 1024 ** 3);

  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const [code] = await exited;
  assert.equal(code, 0);
  await assert.rejects(access(socket), { code: "ENOENT" });
});
