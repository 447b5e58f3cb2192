// syncVolume called directly on informer caches of the in-process apiserver: one volume, one round.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { createEventRecorder } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { pod } from "../../client/testing/objects.js";
import { reconcilerContext } from "./controller.js";
import type { ReconcilerContext } from "./reconciler.js";
import { syncVolume } from "./reconciler.js";

test("a scheduled pod's bound CSI volume gets a VolumeAttachment to the pod's node", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } });
  const claim = await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, volumeName: "pv-data" },
  } as PersistentVolumeClaim);
  await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-data" },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: claim.metadata.uid },
      csi: { driver: "hostpath.csi.stowage.dev", volumeHandle: "handle-1" },
    },
  } as PersistentVolume);
  await client.persistentVolumeClaims.updateStatus({ ...claim, status: { phase: "Bound" } });
  await client.pods.create(
    pod("default", "app", {
      nodeName: "node-1",
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
    }),
  );
  const recorder = createEventRecorder(client.events, { component: "attachdetach-controller", log: () => undefined });
  let ctx!: ReconcilerContext;
  await syncedInformers(t, client, (informers) => {
    ctx = reconcilerContext(client, informers, recorder, () => undefined);
  });

  await syncVolume(ctx, "pv-data");

  const attachments = (await client.volumeAttachments.list()).items;
  assert.deepEqual(
    attachments.map((a) => [a.spec.attacher, a.spec.nodeName, a.spec.source.persistentVolumeName]),
    [["hostpath.csi.stowage.dev", "node-1", "pv-data"]],
  );
});
