// A failed attach is visible where users look — the VolumeAttachment's status.attachError and a FailedAttachVolume
// event on the pod — and is retried with backoff until the driver accepts it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../../e2e/stowage.js";
import { attachmentName } from "../../../api/storage/attachmentnames.js";
import { startAttachDetachController } from "../../../e2e/parts.js";
import { driverName, startWorld } from "../../../e2e/attacher.js";

test("a volume the driver refuses to attach shows attachError and FailedAttachVolume, then attaches once it can", async (t) => {
  const world = await startWorld(t);
  const { client } = world;
  const controller = new AbortController();
  const adc = await startAttachDetachController({ client, log: () => undefined }, controller.signal);
  t.after(async () => {
    controller.abort();
    await adc.done;
  });
  await world.startAttacher();
  const volume = await world.blockVolume("data");
  const handle = volume.spec.csi!.volumeHandle;
  // Attached to node-2 behind Kubernetes' back: the cloud refuses a second node.
  const csi = world.drivers["node-1"].client;
  const capability = { mount: { fs_type: "ext4" }, access_mode: { mode: "SINGLE_NODE_WRITER" as const } };
  await csi.controller.ControllerPublishVolume({ volume_id: handle, node_id: "node-2", volume_capability: capability });

  await world.pod("app", "node-1", "data");
  const name = attachmentName(handle, driverName, "node-1");
  const failed = await eventually(async () => {
    const attachment = await client.volumeAttachments.get(name).catch(() => undefined);
    return attachment?.status?.attachError ? attachment : undefined;
  });
  assert.equal(failed.status?.attached, false);
  assert.equal(
    failed.status?.attachError?.message,
    `rpc error: code = FailedPrecondition desc = volume ${handle} is already published to node node-2; a block volume is attached to one node at a time`,
  );
  assert.match(failed.status?.attachError?.time ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const describe = await eventually(async () => {
    const text = await world.stowage.kubectl("describe", "pod", "app");
    return text.includes("FailedAttachVolume") ? text : undefined;
  });
  assert.match(
    describe,
    /Warning\s+FailedAttachVolume\s+.*attachdetach-controller\s+AttachVolume\.Attach failed for volume "data" : rpc error: code = FailedPrecondition desc = volume \S+ is already published to node node-2/,
  );

  // The other node lets go: the retry (with backoff) attaches, and the error is cleared.
  await csi.controller.ControllerUnpublishVolume({ volume_id: handle, node_id: "node-2" });
  const attached = await eventually(async () => {
    const attachment = await client.volumeAttachments.get(name);
    return attachment.status?.attached ? attachment : undefined;
  }, 30_000);
  assert.equal(attached.status?.attachError, undefined);
  assert.deepEqual((await world.published()).get(handle), ["node-1"]);
});

test("a node without the driver's node ID gets an attach error naming its CSINode", async (t) => {
  const world = await startWorld(t);
  const { client } = world;
  await client.csiNodes.delete("node-2");
  await client.csiNodes.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSINode",
    metadata: { name: "node-2" },
    spec: { drivers: [] },
  });
  await world.startAttacher();
  const volume = await world.blockVolume("data");
  const name = attachmentName(volume.spec.csi!.volumeHandle, driverName, "node-2");
  await client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name },
    spec: { attacher: driverName, nodeName: "node-2", source: { persistentVolumeName: "data" } },
  });
  const failed = await eventually(async () => {
    const attachment = await client.volumeAttachments.get(name);
    return attachment.status?.attachError ? attachment : undefined;
  });
  assert.equal(failed.status?.attachError?.message, `CSINode node-2 does not contain driver ${driverName}`);
  // Nothing was published, so nothing holds the deletion: no finalizer went on.
  assert.equal(failed.metadata.finalizers, undefined);
  await client.volumeAttachments.delete(name);
  await eventually(async () => ((await client.volumeAttachments.get(name).catch(() => undefined)) ? undefined : true));
});
