// Controller behaviour csi-sanity does not pin down, each as the spec's error code with a message that says what
// to fix: capacity accounting, deleting an attached disk, pagination, and a publish context that points elsewhere.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import { MiB, mountCapability, startTestDriver, testDir } from "./testing/harness.js";

const failsWith = (code: Code, message: RegExp) => (err: unknown) => {
  assert.ok(err instanceof CsiError, String(err));
  assert.equal(err.codeName, Code[code], err.message);
  assert.match(err.message, message);
  return true;
};

test("volumes are accounted against the driver's capacity; beyond it CreateVolume is RESOURCE_EXHAUSTED", async (t) => {
  const dir = await testDir(t);
  const { client } = await startTestDriver(t, dir, { capacity: 100 * MiB });
  const before = await client.controller.GetCapacity({});
  assert.equal(before.available_capacity, 100 * MiB);
  await client.controller.CreateVolume({
    name: "a",
    capacity_range: { required_bytes: 60 * MiB },
    volume_capabilities: [mountCapability()],
  });
  assert.equal((await client.controller.GetCapacity({})).available_capacity, 40 * MiB);
  const forNode = (node: string) =>
    client.controller.GetCapacity({
      accessible_topology: { segments: { "topology.block.csi.stowage.dev/node": node } },
    });
  assert.equal((await forNode("node-1")).available_capacity, 40 * MiB);
  assert.equal((await forNode("no-such-node")).available_capacity, 0);
  await assert.rejects(
    client.controller.CreateVolume({
      name: "b",
      capacity_range: { required_bytes: 60 * MiB },
      volume_capabilities: [mountCapability()],
    }),
    failsWith(Code.RESOURCE_EXHAUSTED, /not enough capacity for 62914560 bytes: 41943040 of 104857600 bytes left/),
  );
  await assert.rejects(
    client.controller.CreateVolume({
      name: "c",
      capacity_range: { required_bytes: 200 * MiB },
      volume_capabilities: [mountCapability()],
    }),
    failsWith(Code.OUT_OF_RANGE, /more than this driver's total capacity/),
  );
  // Multi-node access is not what a single-attach disk offers: refused up front, naming the field.
  await assert.rejects(
    client.controller.CreateVolume({ name: "d", volume_capabilities: [mountCapability("MULTI_NODE_MULTI_WRITER")] }),
    failsWith(Code.INVALID_ARGUMENT, /^volume_capabilities\[0\]: access mode MULTI_NODE_MULTI_WRITER is not supported/),
  );
  const validated = await client.controller.ValidateVolumeCapabilities({
    volume_id: (await client.controller.ListVolumes({})).entries[0].volume!.volume_id,
    volume_capabilities: [mountCapability("MULTI_NODE_READER_ONLY")],
  });
  assert.equal(validated.confirmed, null);
  assert.match(validated.message, /MULTI_NODE_READER_ONLY is not supported/);
});

test("an attached volume cannot be deleted until it is unpublished, like a cloud disk", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const { volume } = await client.controller.CreateVolume({
    name: "attached",
    volume_capabilities: [mountCapability()],
  });
  const volumeId = volume!.volume_id;
  await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: driver.nodeId,
    volume_capability: mountCapability(),
  });
  await assert.rejects(
    client.controller.DeleteVolume({ volume_id: volumeId }),
    failsWith(Code.FAILED_PRECONDITION, /still published to node node-1; ControllerUnpublishVolume it first/),
  );
  await client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: driver.nodeId });
  await client.controller.DeleteVolume({ volume_id: volumeId });
  await client.controller.DeleteVolume({ volume_id: volumeId }); // again: already gone is fine
  assert.deepEqual((await client.controller.ListVolumes({})).entries, []);
});

test("ListVolumes pages through every volume exactly once, and refuses a token it did not issue", async (t) => {
  const dir = await testDir(t);
  const { client } = await startTestDriver(t, dir);
  const ids = [];
  for (let i = 0; i < 5; i++) {
    const { volume } = await client.controller.CreateVolume({
      name: `page-${i}`,
      capacity_range: { required_bytes: 16 * MiB },
      volume_capabilities: [mountCapability()],
    });
    ids.push(volume!.volume_id);
  }
  const seen: string[] = [];
  let token = "";
  let pages = 0;
  do {
    const page = await client.controller.ListVolumes({ max_entries: 2, starting_token: token });
    seen.push(...page.entries.map((e) => e.volume!.volume_id));
    token = page.next_token;
    pages++;
  } while (token);
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...ids].sort());
  await assert.rejects(
    client.controller.ListVolumes({ starting_token: "../../etc" }),
    failsWith(Code.ABORTED, /not a token ListVolumes returned/),
  );
});

test("NodeStageVolume refuses a publish context that points outside the driver's volumes", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const { volume } = await client.controller.CreateVolume({ name: "v", volume_capabilities: [mountCapability()] });
  await client.controller.ControllerPublishVolume({
    volume_id: volume!.volume_id,
    node_id: driver.nodeId,
    volume_capability: mountCapability(),
  });
  await assert.rejects(
    client.node.NodeStageVolume({
      volume_id: volume!.volume_id,
      staging_target_path: join(dir, "staging"),
      volume_capability: mountCapability(),
      publish_context: { backingFile: "/etc/../etc/passwd" },
    }),
    failsWith(Code.INVALID_ARGUMENT, /publish_context\[backingFile\]: "\/etc\/..\/etc\/passwd" is not volume/),
  );
  await assert.rejects(
    client.node.NodeStageVolume({
      volume_id: "vol-../../x",
      staging_target_path: join(dir, "staging"),
      volume_capability: mountCapability(),
    }),
    failsWith(Code.NOT_FOUND, /not found/),
  );
});
