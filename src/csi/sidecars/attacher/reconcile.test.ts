// ReconcileVA: an attachment whose status disagrees with where the driver says the volume is published is
// attached (or detached) again, so neither side's word alone is trusted after a crash or an out-of-band change.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../../e2e/stowage.js";
import { attachmentName } from "../../../api/storage/attachmentnames.js";
import { driverName, startWorld } from "../../../e2e/attacher.js";

test("a volume unpublished behind the attacher's back is published again for its attached VolumeAttachment", async (t) => {
  const world = await startWorld(t);
  const volume = await world.blockVolume("data");
  const handle = volume.spec.csi!.volumeHandle;
  const name = attachmentName(handle, driverName, "node-1");
  await world.startAttacher({ reconcilePeriodMs: 200 });
  await world.client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name },
    spec: { attacher: driverName, nodeName: "node-1", source: { persistentVolumeName: "data" } },
  });
  await world.stowage.kubectl(
    "wait",
    `volumeattachment/${name}`,
    "--for=jsonpath={.status.attached}=true",
    "--timeout=10s",
  );
  await world.drivers["node-1"].client.controller.ControllerUnpublishVolume({ volume_id: handle, node_id: "node-1" });
  assert.deepEqual((await world.published()).get(handle), []);

  await eventually(async () => ((await world.published()).get(handle)?.[0] === "node-1" ? true : undefined));
  assert.ok(
    world.logs.some((line) => line.startsWith("VolumeAttachment attached status and actual state do not match")),
  );
  assert.equal((await world.client.volumeAttachments.get(name)).status?.attached, true);
});
