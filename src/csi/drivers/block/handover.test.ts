// Movable volumes (StorageClass parameter `movable: "true"`): no node topology, attachable to any node of the
// cloud, one at a time. Every node here shares one kernel, so a node that died with the volume mounted leaves its
// loop device and mounts behind: the next node cuts them off before it attaches (never reusing them, never next to
// them), refuses while the old node's processes still use them, and the old node, back, lets go of only its own.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import { topologyKey } from "./context.js";
import { loopDevicesUnder, MiB, mountCapability, mountsUnder, startTestDriver, testDir } from "./testing/harness.js";
import type { TestDriver } from "./testing/harness.js";

const failsWith = (code: Code, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof CsiError, String(err));
  assert.equal(err.codeName, Code[code], err.message);
  assert.match(err.message, message);
  return true;
};

const requirement = (node: string) => ({ requisite: [{ segments: { [topologyKey]: node } }], preferred: [] });

test("a movable volume has no node topology; a node-local one keeps its node; a bad value is refused", async (t) => {
  const dir = await testDir(t);
  const { client } = await startTestDriver(t, dir);
  const create = (name: string, parameters: Record<string, string>) =>
    client.controller.CreateVolume({
      name,
      capacity_range: { required_bytes: 16 * MiB },
      volume_capabilities: [mountCapability()],
      parameters,
      accessibility_requirements: requirement("node-1"),
    });
  assert.deepEqual((await create("movable", { movable: "true" })).volume?.accessible_topology, []);
  const local = await create("local", {});
  assert.deepEqual(local.volume?.accessible_topology, [{ segments: { [topologyKey]: "node-1" } }]);
  await assert.rejects(
    create("bad", { movable: "yes" }),
    failsWith(Code.INVALID_ARGUMENT, /^parameters\[movable\]: "yes" is not "true" or "false"$/),
  );
});

async function stage(driver: TestDriver, volumeId: string, staging: string, target: string): Promise<void> {
  const { client } = driver;
  const published = await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: driver.nodeId,
    volume_capability: mountCapability(),
  });
  const common = { volume_id: volumeId, volume_capability: mountCapability(), staging_target_path: staging };
  await client.node.NodeStageVolume({ ...common, publish_context: published.publish_context });
  await client.node.NodePublishVolume({ ...common, target_path: target });
}

test("a movable volume moves to another node: the dead node's mounts are cut off first, never shared", async (t) => {
  const dir = await testDir(t);
  const stateDir = join(dir, "cloud");
  const one = await startTestDriver(t, dir, { nodeId: "node-1", stateDir });
  const two = await startTestDriver(t, dir, { nodeId: "node-2", stateDir });
  const created = await one.client.controller.CreateVolume({
    name: "data",
    capacity_range: { required_bytes: 32 * MiB },
    volume_capabilities: [mountCapability()],
    parameters: { movable: "true" },
  });
  const volumeId = created.volume!.volume_id;
  const paths = (node: string) => ({ staging: join(dir, node, "staging"), target: join(dir, node, "target") });
  await stage(one, volumeId, paths("node-1").staging, paths("node-1").target);
  await writeFile(join(paths("node-1").target, "seq"), "node-1 1\n");

  // node-1 "dies" with the volume mounted and a process still inside it; the volume is force-detached.
  const holder = spawn("sleep", ["600"], { cwd: paths("node-1").target, stdio: "ignore" });
  t.after(() => holder.kill("SIGKILL"));
  await one.client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: "node-1" });
  await assert.rejects(
    stage(two, volumeId, paths("node-2").staging, paths("node-2").target),
    failsWith(Code.FAILED_PRECONDITION, /still mounted at .*node-1.* by a node that no longer has it.*must stop them/),
  );
  assert.equal((await loopDevicesUnder(dir)).length, 1, "nothing attached while the old node's process runs");

  // Once nothing of node-1 runs (fenced or dead), node-2 cuts its mounts off and attaches the disk itself.
  holder.kill("SIGKILL");
  await once(holder, "exit");
  await stage(two, volumeId, paths("node-2").staging, paths("node-2").target);
  assert.equal(await readFile(join(paths("node-2").target, "seq"), "utf8"), "node-1 1\n");
  const mounts = await mountsUnder(dir);
  assert.deepEqual(
    mounts.filter((m) => m.includes("node-1")),
    [],
    "node-1's mounts are gone",
  );
  const devices = await loopDevicesUnder(dir);
  assert.equal(devices.length, 1, "one device: node-2's own, not node-1's shared");

  // node-1 comes back and tears down what its pod had: its own paths only; node-2 keeps the disk.
  await one.client.node.NodeUnpublishVolume({ volume_id: volumeId, target_path: paths("node-1").target });
  await one.client.node.NodeUnstageVolume({ volume_id: volumeId, staging_target_path: paths("node-1").staging });
  await writeFile(join(paths("node-2").target, "seq"), "node-1 1\nnode-2 2\n");
  assert.deepEqual(await loopDevicesUnder(dir), devices);
  assert.equal(await readFile(join(paths("node-2").target, "seq"), "utf8"), "node-1 1\nnode-2 2\n");

  const common = { volume_id: volumeId, staging_target_path: paths("node-2").staging };
  await two.client.node.NodeUnpublishVolume({ volume_id: volumeId, target_path: paths("node-2").target });
  await two.client.node.NodeUnstageVolume(common);
  assert.deepEqual(await loopDevicesUnder(dir), []);
  await two.client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: "node-2" });
  await two.client.controller.DeleteVolume({ volume_id: volumeId });
});
