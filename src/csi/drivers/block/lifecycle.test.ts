// What a user of a block volume notices across the attach/stage/publish cycle: the disk is formatted once, data
// survives unstage and restage, a disk with another filesystem is never reformatted, raw block volumes appear as
// device nodes, and a single-attach disk is refused on a second node. Real loop devices, ext4 and mounts.
import assert from "node:assert/strict";
import { lstat, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { Code, CsiError } from "../../errors.js";
import {
  blockCapability,
  createAndMount,
  loopDevicesUnder,
  MiB,
  mountCapability,
  mountsUnder,
  output,
  startTestDriver,
  testDir,
  unmountAndDelete,
} from "./testing/harness.js";

async function rejectsWith(promise: Promise<unknown>, code: Code, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CsiError, `not a CsiError: ${String(err)}`);
    assert.equal(err.codeName, Code[code], err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const uuidOf = async (device: string) => (await output("blkid", ["-p", "-s", "UUID", "-o", "value", device])).trim();

test("a block volume is formatted once and its files survive unstage and restage", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const volume = await createAndMount(driver, dir, "data");
  const [loop] = await loopDevicesUnder(dir);
  assert.ok(loop, "NodeStage attached a loop device for the volume's backing file");
  assert.equal((await output("findmnt", ["-n", "-o", "FSTYPE", volume.staging])).trim(), "ext4");
  const firstUuid = await uuidOf(loop.name);
  await writeFile(join(volume.target, "hello.txt"), "written before unstage\n");

  const { client } = driver;
  await client.node.NodeUnpublishVolume({ volume_id: volume.volumeId, target_path: volume.target });
  await client.node.NodeUnstageVolume({ volume_id: volume.volumeId, staging_target_path: volume.staging });
  // Unstaging detaches: no loop device and no mount of ours is left while the volume is not staged.
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
  await assert.rejects(lstat(volume.target), "NodeUnpublish removes the target it created");

  // Stage again (twice: the retry is a no-op) and publish: same filesystem, same file.
  for (let i = 0; i < 2; i++) {
    await client.node.NodeStageVolume({
      volume_id: volume.volumeId,
      staging_target_path: volume.staging,
      volume_capability: mountCapability(),
      publish_context: volume.publishContext,
    });
  }
  await client.node.NodePublishVolume({
    volume_id: volume.volumeId,
    staging_target_path: volume.staging,
    target_path: volume.target,
    volume_capability: mountCapability(),
    publish_context: volume.publishContext,
    readonly: true,
  });
  const [again] = await loopDevicesUnder(dir);
  assert.equal(await uuidOf(again.name), firstUuid, "the filesystem was not recreated");
  assert.equal(await readFile(join(volume.target, "hello.txt"), "utf8"), "written before unstage\n");
  await assert.rejects(writeFile(join(volume.target, "nope.txt"), "x"), /EROFS/, "a readonly publish is read-only");
  const republish = (readonly: boolean) =>
    client.node.NodePublishVolume({
      volume_id: volume.volumeId,
      staging_target_path: volume.staging,
      target_path: volume.target,
      volume_capability: mountCapability(),
      readonly,
    });
  await republish(true); // the same call again: already published
  await rejectsWith(republish(false), Code.ALREADY_EXISTS, /already published at .* read-only/);

  await unmountAndDelete(driver, volume);
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});

test("a volume that already has a filesystem is never reformatted as another type", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const volume = await createAndMount(driver, dir, "keep");
  await writeFile(join(volume.target, "precious.txt"), "keep me\n");
  const { client } = driver;
  await client.node.NodeUnpublishVolume({ volume_id: volume.volumeId, target_path: volume.target });
  await client.node.NodeUnstageVolume({ volume_id: volume.volumeId, staging_target_path: volume.staging });

  await rejectsWith(
    client.node.NodeStageVolume({
      volume_id: volume.volumeId,
      staging_target_path: volume.staging,
      volume_capability: mountCapability("SINGLE_NODE_WRITER", "ext3"),
      publish_context: volume.publishContext,
    }),
    Code.FAILED_PRECONDITION,
    /already contains ext4; refusing to reformat/,
  );
  await client.node.NodeUnstageVolume({ volume_id: volume.volumeId, staging_target_path: volume.staging });
  const again = await createAndMount(driver, dir, "keep"); // same name: the same volume, staged as ext4 again
  assert.equal(again.volumeId, volume.volumeId);
  assert.equal(await readFile(join(again.target, "precious.txt"), "utf8"), "keep me\n");
  await unmountAndDelete(driver, again);
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});

test("a raw block volume is published as a device node the size of the volume", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const created = await client.controller.CreateVolume({
    name: "raw",
    capacity_range: { required_bytes: 32 * MiB },
    volume_capabilities: [blockCapability()],
  });
  const volumeId = created.volume!.volume_id;
  const { publish_context } = await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: driver.nodeId,
    volume_capability: blockCapability(),
  });
  const staging = join(dir, "raw-staging");
  const target = join(dir, "raw-device");
  await client.node.NodeStageVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    volume_capability: blockCapability(),
    publish_context,
  });
  await client.node.NodePublishVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    target_path: target,
    volume_capability: blockCapability(),
    publish_context,
  });
  assert.ok((await stat(target)).isBlockDevice(), "the target is a block device node");
  assert.equal(Number((await output("blockdev", ["--getsize64", target])).trim()), 32 * MiB);
  const [loop] = await loopDevicesUnder(dir);
  assert.equal(await output("blkid", ["-p", loop.name]).catch(() => "no signature"), "no signature", "never formatted");

  await unmountAndDelete(driver, { volumeId, staging, target });
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});

test("a block volume published to one node is refused on a second node until unpublished (RWO)", async (t) => {
  const dir = await testDir(t);
  const stateDir = join(dir, "cloud"); // both nodes' drivers share the cloud
  const nodeA = await startTestDriver(t, dir, { nodeId: "node-a", stateDir });
  const nodeB = await startTestDriver(t, dir, { nodeId: "node-b", stateDir });
  const volume = await createAndMount(nodeA, dir, "rwo");

  await rejectsWith(
    nodeB.client.controller.ControllerPublishVolume({
      volume_id: volume.volumeId,
      node_id: "node-b",
      volume_capability: mountCapability(),
    }),
    Code.FAILED_PRECONDITION,
    /already published to node node-a/,
  );
  // Node B cannot stage it either: the disk is not attached there.
  await rejectsWith(
    nodeB.client.node.NodeStageVolume({
      volume_id: volume.volumeId,
      staging_target_path: join(dir, "b-staging"),
      volume_capability: mountCapability(),
      publish_context: volume.publishContext,
    }),
    Code.FAILED_PRECONDITION,
    /published to node node-a, not node-b/,
  );
  await rejectsWith(
    nodeA.client.controller.ControllerPublishVolume({
      volume_id: volume.volumeId,
      node_id: "node-c",
      volume_capability: mountCapability(),
    }),
    Code.NOT_FOUND,
    /node "node-c" not found/,
  );

  // Once node A lets go, node B gets it, with node A's files.
  await writeFile(join(volume.target, "from-a.txt"), "hello from a\n");
  await nodeA.client.node.NodeUnpublishVolume({ volume_id: volume.volumeId, target_path: volume.target });
  await nodeA.client.node.NodeUnstageVolume({ volume_id: volume.volumeId, staging_target_path: volume.staging });
  await nodeA.client.controller.ControllerUnpublishVolume({ volume_id: volume.volumeId, node_id: "node-a" });
  const onB = await nodeB.client.controller.ControllerPublishVolume({
    volume_id: volume.volumeId,
    node_id: "node-b",
    volume_capability: mountCapability(),
  });
  const staging = join(dir, "b-staging");
  const target = join(dir, "b-target");
  await nodeB.client.node.NodeStageVolume({
    volume_id: volume.volumeId,
    staging_target_path: staging,
    volume_capability: mountCapability(),
    publish_context: onB.publish_context,
  });
  await nodeB.client.node.NodePublishVolume({
    volume_id: volume.volumeId,
    staging_target_path: staging,
    target_path: target,
    volume_capability: mountCapability(),
  });
  assert.equal(await readFile(join(target, "from-a.txt"), "utf8"), "hello from a\n");
  const listed = await nodeA.client.controller.ListVolumes({});
  assert.deepEqual(
    listed.entries.map((e) => e.status?.published_node_ids),
    [["node-b"]],
  );

  await unmountAndDelete(nodeB, { volumeId: volume.volumeId, staging, target });
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});

test("the StorageClass's csi.storage.k8s.io/fstype parameter chooses the filesystem when the capability has none", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const created = await client.controller.CreateVolume({
    name: "ext3-volume",
    capacity_range: { required_bytes: 32 * MiB },
    volume_capabilities: [mountCapability()],
    parameters: { "csi.storage.k8s.io/fstype": "ext3" },
  });
  const volumeId = created.volume!.volume_id;
  const { publish_context } = await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: driver.nodeId,
    volume_capability: mountCapability(),
  });
  const staging = join(dir, "ext3-staging");
  await client.node.NodeStageVolume({
    volume_id: volumeId,
    staging_target_path: staging,
    volume_capability: mountCapability(),
    publish_context,
    volume_context: created.volume!.volume_context,
  });
  assert.equal((await output("findmnt", ["-n", "-o", "FSTYPE", staging])).trim(), "ext3");
  await client.node.NodeUnstageVolume({ volume_id: volumeId, staging_target_path: staging });
  await client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: driver.nodeId });
  await client.controller.DeleteVolume({ volume_id: volumeId });
  assert.deepEqual(await loopDevicesUnder(dir), []);
});

test("concurrent NodeStage calls on one volume: each is OK or ABORTED, and the volume ends up staged once", async (t) => {
  const dir = await testDir(t);
  const driver = await startTestDriver(t, dir);
  const { client } = driver;
  const created = await client.controller.CreateVolume({
    name: "busy",
    capacity_range: { required_bytes: 512 * MiB }, // mkfs takes long enough for the calls to overlap
    volume_capabilities: [mountCapability()],
  });
  const volumeId = created.volume!.volume_id;
  const { publish_context } = await client.controller.ControllerPublishVolume({
    volume_id: volumeId,
    node_id: driver.nodeId,
    volume_capability: mountCapability(),
  });
  const staging = join(dir, "busy-staging");
  const stage = () =>
    client.node.NodeStageVolume({
      volume_id: volumeId,
      staging_target_path: staging,
      volume_capability: mountCapability(),
      publish_context,
    });
  const results = await Promise.allSettled([stage(), stage(), stage(), stage()]);
  const codes = results.map((r) =>
    r.status === "fulfilled" ? "OK" : r.reason instanceof CsiError ? r.reason.codeName : String(r.reason),
  );
  // A call arriving while another holds the volume is ABORTED; on a loaded machine one may arrive only after the
  // first finished, and then finds the volume staged (OK). Never anything else, and never a second loop device.
  assert.ok(codes.includes("OK"), `one call stages: ${codes}`);
  assert.ok(
    codes.every((c) => c === "OK" || c === "ABORTED"),
    `the others are ABORTED or find it staged: ${codes}`,
  );
  await stage(); // the CO's retry after ABORTED succeeds: already staged
  assert.equal((await loopDevicesUnder(dir)).length, 1, "one loop device, not one per call");
  assert.equal((await mountsUnder(dir)).length, 1, "one mount");

  await client.node.NodeUnstageVolume({ volume_id: volumeId, staging_target_path: staging });
  await client.controller.ControllerUnpublishVolume({ volume_id: volumeId, node_id: driver.nodeId });
  await client.controller.DeleteVolume({ volume_id: volumeId });
  assert.deepEqual(await loopDevicesUnder(dir), []);
  assert.deepEqual(await mountsUnder(dir), []);
});
