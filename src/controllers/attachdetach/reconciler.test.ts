// syncVolume called directly on informer caches of the in-process apiserver: one volume, one round.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../../api/core/types.js";
import { createEventRecorder } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { pod } from "../../client/testing/objects.js";
import { reconcilerContext } from "./controller.js";
import type { ReconcilerContext } from "./reconciler.js";
import { primeActualState, syncVolume } from "./reconciler.js";
import { attachmentName, uniqueVolumeName } from "../../api/storage/attachmentnames.js";

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

/** A bound CSI volume attached to node-1 with no pod wanting it; the Node as the caches saw it before `inUse`. */
async function unneededAttachment(t: TestContext, inUse: boolean) {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const unique = uniqueVolumeName("hostpath.csi.stowage.dev", "handle-1");
  await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } });
  await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-data" },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      csi: { driver: "hostpath.csi.stowage.dev", volumeHandle: "handle-1" },
    },
  } as PersistentVolume);
  const attachment = await client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name: attachmentName("handle-1", "hostpath.csi.stowage.dev", "node-1") },
    spec: { attacher: "hostpath.csi.stowage.dev", nodeName: "node-1", source: { persistentVolumeName: "pv-data" } },
  });
  await client.volumeAttachments.updateStatus({ ...attachment, status: { attached: true } });
  const recorder = createEventRecorder(client.events, { component: "attachdetach-controller", log: () => undefined });
  let ctx!: ReconcilerContext;
  await syncedInformers(t, client, (informers) => {
    ctx = reconcilerContext(client, informers, recorder, () => undefined);
  });
  primeActualState(ctx);
  const node = await client.nodes.get("node-1");
  await client.nodes.updateStatus({
    ...node,
    status: { ...node.status, volumesAttached: [{ name: unique, devicePath: "" }] },
  });
  // The node agent lists the volume in use, but the controller's cache has not seen that write yet: the case of a
  // pod that starts on the node just as the controller decides the volume is no longer needed there.
  const stale = ctx.nodes.get("node-1");
  if (inUse) {
    const current = await client.nodes.get("node-1");
    await client.nodes.updateStatus({ ...current, status: { ...current.status, volumesInUse: [unique] } });
  }
  ctx = { ...ctx, nodes: { ...ctx.nodes, get: () => stale } };
  return { client, ctx, unique };
}

test("a detach reads the Node afresh: a volume the node just listed in use stays attached and reported", async (t) => {
  const { client, ctx, unique } = await unneededAttachment(t, true);

  await syncVolume(ctx, "pv-data");

  assert.equal((await client.volumeAttachments.list()).items.length, 1, "the attachment is kept");
  const node = await client.nodes.get("node-1");
  assert.deepEqual(
    node.status?.volumesAttached?.map((v) => v.name),
    [unique],
    "still reported attached",
  );
});

test("a detach takes the volume out of volumesAttached before it deletes the VolumeAttachment", async (t) => {
  const { client, ctx } = await unneededAttachment(t, false);

  await syncVolume(ctx, "pv-data");

  assert.equal((await client.volumeAttachments.list()).items.length, 0, "the attachment is deleted");
  const node = await client.nodes.get("node-1");
  assert.equal(node.status?.volumesAttached, undefined, "no longer reported attached: no mount may begin");
});

test("an attachment of a known volume found at start-up is the controller's to detach; one made later is not", async (t) => {
  const { client, ctx } = await unneededAttachment(t, false);
  // Made through the API after start-up, for the same volume on another node: not in the actual state.
  await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name: "node-2" } });
  const foreign = attachmentName("handle-1", "hostpath.csi.stowage.dev", "node-2");
  await client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name: foreign },
    spec: { attacher: "hostpath.csi.stowage.dev", nodeName: "node-2", source: { persistentVolumeName: "pv-data" } },
  });
  await waitFor(() => ctx.attachments.get(foreign));

  await syncVolume(ctx, "pv-data");

  assert.deepEqual(
    (await client.volumeAttachments.list()).items.map((a) => a.metadata.name),
    [foreign],
    "the start-up one is detached, the later one left alone",
  );
});

/** Polls the informer cache until `check` holds (2 s deadline): the cache follows the API a moment later. */
async function waitFor(check: () => unknown): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("the cache did not catch up");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
