// node.status.volumesInUse as the attach/detach controller and the node's own volume steps see it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { DRIVER_NAME } from "../e2e/parts.js";
import { csiClaim, deleteAllPods, eventually, nodeName, pod, startNodeTest, waitForPhase } from "../e2e/node.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test("an attach-required claim's pod runs without waiting for the next node status tick: the Node lists the volume in volumesInUse first", async (t) => {
  // The once-a-second status tick (a setInterval) never fires in this test, and the forced heartbeat write comes
  // every 10 s: the pod can only run if the agent reports the volume in use the moment its staging waits on that.
  t.mock.timers.enable({ apis: ["setInterval"] });
  const node = await startNodeTest(t);
  const { pv, handle } = await csiClaim(node, "attach"); // no CSIDriver object: attachRequired defaults to true
  // The attacher's part, done by hand: the VolumeAttachment for this node marked attached.
  const name = `csi-${sha256(`${handle}${DRIVER_NAME}${nodeName}`)}`;
  await node.client.pods.create(pod("prompt", [{ name: "vol", persistentVolumeClaim: { claimName: "attach" } }]));
  // The attach/detach controller creates it (named as upstream); whoever is first, the other finds it.
  const va = await node.client.volumeAttachments
    .create({
      apiVersion: "storage.k8s.io/v1",
      kind: "VolumeAttachment",
      metadata: { name },
      spec: { attacher: DRIVER_NAME, nodeName, source: { persistentVolumeName: pv.metadata.name } },
    })
    .catch(() => node.client.volumeAttachments.get(name));
  await node.client.volumeAttachments.updateStatus({ ...va, status: { attached: true } });

  await waitForPhase(node, "prompt", "Running", 8_000);
  const inUse = (await node.client.nodes.get(nodeName)).status?.volumesInUse;
  assert.deepEqual(inUse, [`kubernetes.io/csi/${DRIVER_NAME}^${handle}`]);
  await deleteAllPods(node);
  // Leaving the list may wait for the tick (upstream removes a volume only once it is unmounted).
  // Each check lets a second pass: the tick that finds the volume unstaged may come after a tick that did not.
  await eventually(async () => {
    t.mock.timers.tick(1000);
    return (await node.client.nodes.get(nodeName)).status?.volumesInUse === undefined ? true : undefined;
  });
});
