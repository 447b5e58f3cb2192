// Attach/detach as a user sees it: the controller-manager's attach-detach controller and this attacher, against a
// real stowage and the real block driver (one volume, one node at a time), with kubectl for what users read.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { VolumeAttachment } from "../../../api/storage/types.js";
import { eventually } from "../../../e2e/stowage.js";
import { attachmentName, uniqueVolumeName } from "../../../api/storage/attachmentnames.js";
import { driverName, startWorld } from "../../../e2e/attacher.js";

test("a pod's block volume is attached to its node, refused on a second node, and detached once the pod is gone", async (t) => {
  const world = await startWorld(t, { controllers: true });
  const { client } = world;
  await world.startAttacher();
  const volume = await world.blockVolume("data");
  const handle = volume.spec.csi!.volumeHandle;
  const name = attachmentName(handle, driverName, "node-1");
  const unique = uniqueVolumeName(driverName, handle);

  await world.pod("app-1", "node-1", "data");
  const attached = await eventually(async () => {
    const attachment = await client.volumeAttachments.get(name).catch(() => undefined);
    return attachment?.status?.attached ? attachment : undefined;
  });
  assert.deepEqual(attached.spec, {
    attacher: driverName,
    nodeName: "node-1",
    source: { persistentVolumeName: "data" },
  });
  assert.deepEqual(attached.metadata.finalizers, ["external-attacher/block-csi-stowage-dev"]);
  assert.equal(attached.metadata.annotations?.["csi.alpha.kubernetes.io/node-id"], "node-1");
  // The driver's publish context, handed on for the node's NodeStage.
  assert.match(attached.status?.attachmentMetadata?.backingFile ?? "", new RegExp(`/${handle}`));
  assert.deepEqual((await world.published()).get(handle), ["node-1"]);
  // The PV is kept while attached: detaching needs it.
  assert.ok(
    (await client.persistentVolumes.get("data")).metadata.finalizers?.includes(
      "external-attacher/block-csi-stowage-dev",
    ),
  );
  await eventually(async () =>
    (await client.nodes.get("node-1")).status?.volumesAttached?.some((v) => v.name === unique) ? true : undefined,
  );
  assert.match(
    await world.stowage.kubectl("get", "volumeattachment"),
    new RegExp(`${name}\\s+block.csi.stowage.dev\\s+data\\s+node-1\\s+true`),
  );
  await eventually(async () =>
    (await world.stowage.kubectl("describe", "pod", "app-1")).includes(
      `AttachVolume.Attach succeeded for volume "data"`,
    )
      ? true
      : undefined,
  );

  // The node agent reports the volume mounted; a second pod wants the same ReadWriteOnce volume on node-2.
  await world.setVolumesInUse("node-1", [volume]);
  await world.pod("app-2", "node-2", "data");
  const describe = await eventually(async () => {
    const text = await world.stowage.kubectl("describe", "pod", "app-2");
    return text.includes("FailedAttachVolume") ? text : undefined;
  });
  assert.match(
    describe,
    /Warning\s+FailedAttachVolume\s+.*attachdetach-controller\s+Multi-Attach error for volume "data" Volume is already used by pod\(s\) app-1/,
  );
  const all = (await client.volumeAttachments.list()).items;
  assert.deepEqual(
    all.map((a: VolumeAttachment) => a.spec.nodeName),
    ["node-1"],
  );

  // app-1 goes (Terminating: no node agent confirms), but node-1 still has the volume mounted: it stays attached.
  await world.stowage.kubectl("delete", "pod", "app-1", "--wait=false");
  await world.stowage.kubectl(
    "wait",
    `volumeattachment/${name}`,
    "--for=jsonpath={.status.attached}=true",
    "--timeout=10s",
  );
  assert.deepEqual((await world.published()).get(handle), ["node-1"]);

  // The node unmounted it: detach from node-1 (ControllerUnpublish), then attach to node-2 for app-2.
  await world.setVolumesInUse("node-1", []);
  const second = attachmentName(handle, driverName, "node-2");
  await eventually(async () => {
    const attachment = await client.volumeAttachments.get(second).catch(() => undefined);
    return attachment?.status?.attached ? attachment : undefined;
  });
  await assert.rejects(client.volumeAttachments.get(name), /not found/);
  assert.deepEqual((await world.published()).get(handle), ["node-2"]);
  await eventually(async () => {
    const node1 = await client.nodes.get("node-1");
    const node2 = await client.nodes.get("node-2");
    return !node1.status?.volumesAttached?.length && node2.status?.volumesAttached?.[0]?.name === unique
      ? true
      : undefined;
  });
});
