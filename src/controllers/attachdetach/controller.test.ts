// The attach-detach controller alone against a real apiserver: the test stands in for the attacher (it writes
// status.attached) and for the node agent (status.volumesInUse), and reads what users read.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { PersistentVolumeAccessMode, Pod } from "../../api/core/types.js";
import type { Event } from "../../api/core/types.js";
import { eventually, startStowage } from "../../e2e/stowage.js";
import { createClient, type Client } from "../../client/index.js";
import { startAttachDetachController } from "./controller.js";
import { attachmentName } from "../../api/storage/attachmentnames.js";

const driver = "disk.csi.example.com";

async function world(t: TestContext) {
  const stowage = await startStowage(t);
  const client = createClient(stowage.transport());
  for (const name of ["node-1", "node-2"])
    await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name } });
  const running: AbortController[] = [];
  const start = async (workers?: number) => {
    const abort = new AbortController();
    const adc = await startAttachDetachController({ client, workers, log: () => undefined }, abort.signal);
    running.push(abort);
    return async () => {
      abort.abort();
      await adc.done;
    };
  };
  t.after(() => running.forEach((a) => a.abort()));
  return { stowage, client, start };
}

async function boundVolume(client: Client, name: string, modes: PersistentVolumeAccessMode[]) {
  const claim = await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default" },
    spec: { accessModes: modes, resources: { requests: { storage: "1Gi" } }, storageClassName: "", volumeName: name },
  });
  const pv = await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: modes,
      storageClassName: "",
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name, uid: claim.metadata.uid },
      csi: { driver, volumeHandle: `handle-${name}` },
    },
  });
  await client.persistentVolumes.updateStatus({ ...pv, status: { phase: "Bound" } });
  await client.persistentVolumeClaims.updateStatus({ ...claim, status: { phase: "Bound", accessModes: modes } });
}

const pod = (client: Client, name: string, nodeName: string, claimName: string) =>
  client.pods.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      nodeName,
      containers: [{ name: "app", image: "busybox" }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
    },
  } as Pod);

const eventsOf = async (client: Client, podName: string, reason: string): Promise<Event[]> =>
  (await client.events.list({ namespace: "default" })).items.filter(
    (e) => e.involvedObject.name === podName && e.reason === reason,
  );

test("a ReadWriteMany volume is attached to every node that runs a pod using it", async (t) => {
  const { client, start } = await world(t);
  await start();
  await boundVolume(client, "shared", ["ReadWriteMany"]);
  await pod(client, "a", "node-1", "shared");
  await pod(client, "b", "node-2", "shared");
  const names = await eventually(async () => {
    const items = (await client.volumeAttachments.list()).items;
    return items.length === 2 ? items.map((a) => a.metadata.name).sort() : undefined;
  });
  assert.deepEqual(
    names,
    [attachmentName("handle-shared", driver, "node-1"), attachmentName("handle-shared", driver, "node-2")].sort(),
  );
});

test("a ReadWriteOncePod volume wanted on a second node gets the Multi-Attach event and no second attachment", async (t) => {
  const { client, start } = await world(t);
  await start();
  await boundVolume(client, "solo", ["ReadWriteOncePod"]);
  await pod(client, "first", "node-1", "solo");
  await eventually(async () => ((await client.volumeAttachments.list()).items.length === 1 ? true : undefined));
  await pod(client, "second", "node-2", "solo");
  const [event] = await eventually(async () => {
    const events = await eventsOf(client, "second", "FailedAttachVolume");
    return events.length ? events : undefined;
  });
  assert.equal(event.type, "Warning");
  assert.equal(event.message, 'Multi-Attach error for volume "solo" Volume is already used by pod(s) first');
  assert.equal(event.source?.component, "attachdetach-controller");
  assert.deepEqual(
    (await client.volumeAttachments.list()).items.map((a) => a.spec.nodeName),
    ["node-1"],
  );
});

test("a restarted controller does not repeat SuccessfulAttachVolume for volumes attached before", async (t) => {
  const { client, start } = await world(t);
  const stop = await start();
  await boundVolume(client, "data", ["ReadWriteOnce"]);
  await pod(client, "app", "node-1", "data");
  const name = attachmentName("handle-data", driver, "node-1");
  // The attacher's part: it attached.
  const attachment = await eventually(() => client.volumeAttachments.get(name).catch(() => undefined));
  await client.volumeAttachments.updateStatus({ ...attachment, status: { attached: true } });
  await eventually(async () => ((await eventsOf(client, "app", "SuccessfulAttachVolume")).length ? true : undefined));
  await stop();

  await start();
  // A later volume's event proves the new controller has been through its queue (volumes sync in name order).
  await boundVolume(client, "zz-later", ["ReadWriteOnce"]);
  await pod(client, "zz-app", "node-1", "zz-later");
  const later = attachmentName("handle-zz-later", driver, "node-1");
  const second = await eventually(() => client.volumeAttachments.get(later).catch(() => undefined));
  await client.volumeAttachments.updateStatus({ ...second, status: { attached: true } });
  await eventually(async () =>
    (await eventsOf(client, "zz-app", "SuccessfulAttachVolume")).length ? true : undefined,
  );
  const events = await eventsOf(client, "app", "SuccessfulAttachVolume");
  assert.deepEqual(
    events.map((e) => e.count),
    [1],
  );
  const [event] = events;
  assert.equal(event.message, 'AttachVolume.Attach succeeded for volume "data" ');
});

test("a node tainted out-of-service has its volumes detached although it never reported them unmounted", async (t) => {
  const { client, start } = await world(t);
  await start();
  await boundVolume(client, "data", ["ReadWriteOnce"]);
  const app = await pod(client, "app", "node-1", "data");
  const name = attachmentName("handle-data", driver, "node-1");
  const attachment = await eventually(() => client.volumeAttachments.get(name).catch(() => undefined));
  await client.volumeAttachments.updateStatus({ ...attachment, status: { attached: true } });
  // The node mounted it, then went down for good: its pod is deleted, but it will never clear volumesInUse.
  await client.nodes.patch(
    "node-1",
    "merge",
    { status: { volumesInUse: [`kubernetes.io/csi/${driver}^handle-data`] } },
    { subresource: "status" },
  );
  await client.pods.delete("default", app.metadata.name ?? "", { gracePeriodSeconds: 0 });
  // A later volume's attachment proves the controller went past the deletion (its queue is first in, first out):
  // the still-mounted volume stayed attached.
  await boundVolume(client, "zz-later", ["ReadWriteOnce"]);
  await pod(client, "zz-app", "node-2", "zz-later");
  await eventually(() =>
    client.volumeAttachments.get(attachmentName("handle-zz-later", driver, "node-2")).catch(() => undefined),
  );
  assert.equal((await client.volumeAttachments.get(name)).metadata.deletionTimestamp, undefined);

  await client.nodes.patch("node-1", "merge", {
    spec: { taints: [{ key: "node.kubernetes.io/out-of-service", value: "nodeshutdown", effect: "NoExecute" }] },
  });
  // No attacher here holds a finalizer, so the detach is the attachment's deletion.
  await eventually(async () => ((await client.volumeAttachments.get(name).catch(() => undefined)) ? undefined : true));
});

test("a VolumeAttachment made through the API for a volume the controller does not manage is left alone", async (t) => {
  const { client, start } = await world(t);
  await start(1);
  await client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name: "va-foreign" },
    spec: { attacher: "e2e-test.storage.k8s.io", nodeName: "node-1", source: { persistentVolumeName: "pv-foreign" } },
  });
  // A later volume's attachment proves the controller went past the foreign one (one worker, first in first out).
  await boundVolume(client, "zz-later", ["ReadWriteOnce"]);
  await pod(client, "zz-app", "node-2", "zz-later");
  await eventually(() =>
    client.volumeAttachments.get(attachmentName("handle-zz-later", driver, "node-2")).catch(() => undefined),
  );
  const foreign = await client.volumeAttachments.get("va-foreign");
  assert.equal(foreign.metadata.deletionTimestamp, undefined);
  const node = await client.nodes.get("node-1");
  assert.equal(node.status?.volumesAttached, undefined, "not reported attached on its node");
});
