// No silent waits on the node: a pod whose volume is not attached yet says so within seconds (WaitForAttach),
// where upstream's kubelet says nothing for two minutes before "Unable to attach or mount volumes".
import assert from "node:assert/strict";
import { test } from "node:test";
import { csiClaim, deleteAllPods, eventually, nodeName, pod, podEvents, startNodeTest } from "../e2e/node.js";

test("a pod whose volume waits for its VolumeAttachment says so in a WaitForAttach event", async (t) => {
  // No CSIDriver object: attach is required, and no attacher runs here, so the volume stays unattached.
  const node = await startNodeTest(t);
  await csiClaim(node, "attach");
  await node.client.pods.create(pod("waits", [{ name: "vol", persistentVolumeClaim: { claimName: "attach" } }]));
  const said = await eventually(
    async () => (await podEvents(node, "waits")).find((e) => e.startsWith("WaitForAttach:")),
    30_000,
  );
  assert.equal(
    said,
    `WaitForAttach: waiting for volumes to be attached to node ${nodeName}: unattached volumes=[vol] ` +
      "(each volume's VolumeAttachment is attached by its driver's csi-attacher)",
  );
  await deleteAllPods(node);
});
