// The provisioner against the real apiserver, the real PV controller and the real hostpath driver over gRPC.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event } from "../../../api/core/types.js";
import { isNotFound } from "../../../client/index.js";
import { claim, driverName, eventually, startWorld, storageClass } from "../../../e2e/provisioner.js";

async function eventsFor(world: Awaited<ReturnType<typeof startWorld>>, name: string): Promise<Event[]> {
  const list = await world.client.events.list({ namespace: "default" });
  return list.items.filter((e) => e.involvedObject.name === name);
}

test("an Immediate class's claim gets a PV pvc-<uid> with the class's settings, and ends Bound to it", async (t) => {
  const world = await startWorld(t);
  await world.client.storageClasses.create(
    storageClass("fast", {
      parameters: { "csi.storage.k8s.io/fstype": "ext4", color: "blue" },
      mountOptions: ["noatime"],
      reclaimPolicy: "Delete",
    }),
  );
  const created = await world.client.persistentVolumeClaims.create(claim("data", "fast", "2Gi"));
  const uid = created.metadata.uid ?? "";
  const pvName = `pvc-${uid}`;

  const bound = await eventually(async () => {
    const c = await world.client.persistentVolumeClaims.get("default", "data");
    return c.status?.phase === "Bound" ? c : undefined;
  });
  assert.equal(bound.spec.volumeName, pvName);

  const pv = await world.client.persistentVolumes.get(pvName);
  assert.equal(pv.metadata.annotations?.["pv.kubernetes.io/provisioned-by"], driverName);
  assert.ok(pv.metadata.finalizers?.includes("external-provisioner.volume.kubernetes.io/finalizer"));
  assert.equal(pv.spec.csi?.driver, driverName);
  assert.equal(pv.spec.csi?.fsType, "ext4");
  assert.match(
    pv.spec.csi?.volumeAttributes?.["storage.kubernetes.io/csiProvisionerIdentity"] ?? "",
    /-hostpath\.csi\.stowage\.dev$/,
  );
  assert.deepEqual(pv.spec.capacity, { storage: "2Gi" });
  assert.deepEqual(pv.spec.accessModes, ["ReadWriteOnce"]);
  assert.deepEqual(pv.spec.mountOptions, ["noatime"]);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Delete");
  assert.equal(pv.spec.storageClassName, "fast");
  assert.equal(pv.spec.volumeMode, "Filesystem");
  assert.equal(pv.spec.claimRef?.uid, uid);
  assert.equal(pv.spec.claimRef?.name, "data");
  assert.deepEqual(pv.spec.nodeAffinity, {
    required: {
      nodeSelectorTerms: [
        { matchExpressions: [{ key: "topology.hostpath.csi.stowage.dev/node", operator: "In", values: ["node-1"] }] },
      ],
    },
  });
  // The volume exists in the driver under the handle the PV names, and got the class's own parameters only.
  assert.deepEqual(await world.volumeDirs(), [pv.spec.csi?.volumeHandle]);
  const records = Object.values(await world.driverVolumes());
  assert.deepEqual(
    records.map((r) => [r.name, r.parameters]),
    [[pvName, { color: "blue" }]],
    "the driver gets the class's parameters without the csi.storage.k8s.io/ keys",
  );

  assert.match(
    await world.stowage.kubectl("get", "pvc", "data"),
    new RegExp(`^data\\s+Bound\\s+${pvName}\\s+2Gi\\s+RWO\\s+fast\\s`, "m"),
  );
  const events = await eventsFor(world, "data");
  assert.ok(
    events.some(
      (e) =>
        e.reason === "Provisioning" &&
        e.message === `External provisioner is provisioning volume for claim "default/data"`,
    ),
    JSON.stringify(events.map((e) => [e.reason, e.message])),
  );
  assert.ok(
    events.some(
      (e) => e.reason === "ProvisioningSucceeded" && e.message === `Successfully provisioned volume ${pvName}`,
    ),
  );
});

test("deleting the claim deletes the driver's volume and then the PV", async (t) => {
  const world = await startWorld(t);
  await world.client.storageClasses.create(storageClass("fast"));
  const created = await world.client.persistentVolumeClaims.create(claim("data", "fast"));
  const pvName = `pvc-${created.metadata.uid}`;
  await eventually(async () => {
    const c = await world.client.persistentVolumeClaims.get("default", "data");
    return c.status?.phase === "Bound" ? c : undefined;
  });
  assert.equal((await world.volumeDirs()).length, 1);

  await world.stowage.kubectl("delete", "pvc", "data", "--wait=false");
  await eventually(async () => {
    try {
      await world.client.persistentVolumes.get(pvName);
      return undefined;
    } catch (err) {
      return isNotFound(err) ? true : undefined;
    }
  });
  assert.deepEqual(await world.volumeDirs(), []);
  assert.equal((await world.driver.client.controller.ListVolumes({})).entries.length, 0);
});

async function phaseOf(world: Awaited<ReturnType<typeof startWorld>>, name: string): Promise<string | undefined> {
  return (await world.client.persistentVolumeClaims.get("default", name)).status?.phase;
}

test("a request the driver cannot meet gets ProvisioningFailed with the driver's message, and no PV", async (t) => {
  const world = await startWorld(t, { driver: { capacity: 10 * 1024 ** 3 } });
  await world.client.storageClasses.create(storageClass("fast"));
  const created = await world.client.persistentVolumeClaims.create(claim("huge", "fast", "1Pi"));
  const failed = await eventually(async () =>
    (await eventsFor(world, "huge")).find((e) => e.reason === "ProvisioningFailed"),
  );
  assert.equal(failed.type, "Warning");
  assert.equal(
    failed.message,
    'failed to provision volume with StorageClass "fast": rpc error: code = ResourceExhausted desc = not enough capacity: 1125899906842624 bytes requested, 10737418240 of 10737418240 available',
  );
  assert.equal(await phaseOf(world, "huge"), "Pending");
  await assert.rejects(world.client.persistentVolumes.get(`pvc-${created.metadata.uid}`), (err) => isNotFound(err));
  assert.deepEqual(await world.volumeDirs(), []);
});

async function addNode(world: Awaited<ReturnType<typeof startWorld>>, name: string): Promise<void> {
  const key = "topology.hostpath.csi.stowage.dev/node";
  await world.client.nodes.create({
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels: { "kubernetes.io/hostname": name, [key]: name } },
  });
  await world.client.csiNodes.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSINode",
    metadata: { name },
    spec: { drivers: [{ name: driverName, nodeID: name, topologyKeys: [key] }] },
  });
}

test("a WaitForFirstConsumer claim waits for selected-node, then is provisioned on that node", async (t) => {
  const world = await startWorld(t);
  await addNode(world, "node-1");
  await world.client.storageClasses.create(storageClass("late", { volumeBindingMode: "WaitForFirstConsumer" }));
  const created = await world.client.persistentVolumeClaims.create(claim("data", "late"));
  // The PV controller has looked at it (its event), and the provisioner has seen it (its informer): still no volume.
  await eventually(async () => (await eventsFor(world, "data")).find((e) => e.reason === "WaitForFirstConsumer"));
  assert.equal(await phaseOf(world, "data"), "Pending");
  assert.deepEqual(await world.volumeDirs(), []);
  assert.equal((await eventsFor(world, "data")).filter((e) => e.reason === "Provisioning").length, 0);

  // What the scheduler does when a pod using the claim lands on node-1.
  await world.client.persistentVolumeClaims.patch("default", "data", "merge", {
    metadata: { annotations: { "volume.kubernetes.io/selected-node": "node-1" } },
  });
  await eventually(async () => ((await phaseOf(world, "data")) === "Bound" ? true : undefined));
  const pv = await world.client.persistentVolumes.get(`pvc-${created.metadata.uid}`);
  assert.deepEqual(pv.spec.nodeAffinity?.required?.nodeSelectorTerms, [
    { matchExpressions: [{ key: "topology.hostpath.csi.stowage.dev/node", operator: "In", values: ["node-1"] }] },
  ]);
  assert.equal((await world.volumeDirs()).length, 1);
});

test("when the driver cannot provision on the selected node, selected-node is removed so the scheduler picks again", async (t) => {
  const world = await startWorld(t);
  await addNode(world, "node-2"); // the driver serves node-1 only
  await world.client.storageClasses.create(storageClass("late", { volumeBindingMode: "WaitForFirstConsumer" }));
  await world.client.persistentVolumeClaims.create(claim("data", "late", "1Gi"));
  await world.client.persistentVolumeClaims.patch("default", "data", "merge", {
    metadata: { annotations: { "volume.kubernetes.io/selected-node": "node-2" } },
  });
  const failed = await eventually(async () =>
    (await eventsFor(world, "data")).find((e) => e.reason === "ProvisioningFailed"),
  );
  assert.match(
    failed.message ?? "",
    /^failed to provision volume with StorageClass "late": rpc error: code = ResourceExhausted desc = hostpath volumes can only be created on node node-1/,
  );
  const annotations = await eventually(async () => {
    const c = await world.client.persistentVolumeClaims.get("default", "data");
    return c.metadata.annotations?.["volume.kubernetes.io/selected-node"] === undefined
      ? (c.metadata.annotations ?? {})
      : undefined;
  });
  assert.equal(annotations["volume.kubernetes.io/storage-provisioner"], driverName);
  assert.deepEqual(await world.volumeDirs(), []);
});

test("a volume the driver refuses to delete stays with a VolumeFailedDelete event, and goes once it can", async (t) => {
  const world = await startWorld(t);
  await world.client.storageClasses.create(storageClass("fast"));
  const created = await world.client.persistentVolumeClaims.create(claim("data", "fast"));
  const pvName = `pvc-${created.metadata.uid}`;
  await eventually(async () => ((await phaseOf(world, "data")) === "Bound" ? true : undefined));
  const handle = (await world.client.persistentVolumes.get(pvName)).spec.csi?.volumeHandle ?? "";
  // Published to a node: the hostpath driver refuses DeleteVolume with FAILED_PRECONDITION.
  await world.driver.client.controller.ControllerPublishVolume({
    volume_id: handle,
    node_id: "node-1",
    volume_capability: { access_mode: { mode: "SINGLE_NODE_WRITER" }, mount: {} },
  });
  await world.client.persistentVolumeClaims.delete("default", "data");

  const failed = await eventually(async () => {
    const list = await world.client.events.list({ namespace: "default" });
    return list.items.find((e) => e.involvedObject.name === pvName && e.reason === "VolumeFailedDelete");
  });
  assert.equal(failed.type, "Warning");
  assert.equal(
    failed.message,
    `rpc error: code = FailedPrecondition desc = volume ${handle} is still in use: published to node node-1`,
  );
  const stuck = await world.client.persistentVolumes.get(pvName);
  assert.equal(stuck.status?.phase, "Released");
  assert.deepEqual(await world.volumeDirs(), [handle]);

  await world.driver.client.controller.ControllerUnpublishVolume({ volume_id: handle, node_id: "node-1" });
  await eventually(async () => {
    try {
      await world.client.persistentVolumes.get(pvName);
      return undefined;
    } catch (err) {
      return isNotFound(err) ? true : undefined;
    }
  }, 60_000);
  assert.deepEqual(await world.volumeDirs(), []);
});

test("a class's secrets are resolved per claim: a missing one fails provisioning, and the PV names them", async (t) => {
  const world = await startWorld(t);
  await world.client.storageClasses.create(
    storageClass("secret", {
      parameters: {
        "csi.storage.k8s.io/provisioner-secret-name": "${pvc.name}-creds",
        "csi.storage.k8s.io/provisioner-secret-namespace": "${pvc.namespace}",
        "csi.storage.k8s.io/node-publish-secret-name": "publish",
        "csi.storage.k8s.io/node-publish-secret-namespace": "default",
      },
    }),
  );
  const created = await world.client.persistentVolumeClaims.create(claim("data", "secret"));
  const failed = await eventually(async () =>
    (await eventsFor(world, "data")).find((e) => e.reason === "ProvisioningFailed"),
  );
  assert.equal(
    failed.message,
    'failed to provision volume with StorageClass "secret": error getting secret data-creds in namespace default: secrets "data-creds" not found',
  );
  assert.deepEqual(await world.volumeDirs(), []);

  await world.client.secrets.create({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "data-creds", namespace: "default" },
    stringData: { token: "t" },
  });
  // The claim's backoff retry finds the secret now.
  await eventually(async () => ((await phaseOf(world, "data")) === "Bound" ? true : undefined), 60_000);
  const pv = await world.client.persistentVolumes.get(`pvc-${created.metadata.uid}`);
  assert.deepEqual(pv.spec.csi?.nodePublishSecretRef, { name: "publish", namespace: "default" });
  assert.equal(pv.metadata.annotations?.["volume.kubernetes.io/provisioner-deletion-secret-name"], "data-creds");
  assert.equal(pv.metadata.annotations?.["volume.kubernetes.io/provisioner-deletion-secret-namespace"], "default");
  assert.deepEqual(
    Object.values(await world.driverVolumes()).map((v) => v.parameters),
    [{}],
  );
});

test("with storageCapacity in its CSIDriver, the driver's free space is published per class and node", async (t) => {
  const world = await startWorld(t, { driver: { capacity: 10 * 1024 ** 3 } });
  await addNode(world, "node-1");
  await world.client.storageClasses.create(storageClass("fast"));
  await world.client.csiDrivers.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: driverName },
    spec: { storageCapacity: true },
  });
  const published = await eventually(async () => {
    const list = await world.client.csiStorageCapacities.list({ namespace: "kube-system" });
    return list.items.length === 1 && list.items[0].capacity === "10Gi" ? list.items[0] : undefined;
  });
  assert.equal(published.storageClassName, "fast");
  assert.deepEqual(published.nodeTopology, { matchLabels: { "topology.hostpath.csi.stowage.dev/node": "node-1" } });
  assert.equal(published.metadata.labels?.["csi.storage.k8s.io/drivername"], driverName);
  assert.equal(published.metadata.labels?.["csi.storage.k8s.io/managed-by"], "external-provisioner");
  assert.match(published.metadata.name ?? "", /^csisc-/);

  // Provisioning 4Gi leaves 6Gi.
  await world.client.persistentVolumeClaims.create(claim("data", "fast", "4Gi"));
  await eventually(async () => {
    const list = await world.client.csiStorageCapacities.list({ namespace: "kube-system" });
    return list.items.length === 1 && list.items[0].capacity === "6Gi" ? true : undefined;
  });

  // The class goes: so does its capacity object.
  await world.client.storageClasses.delete("fast");
  await eventually(async () =>
    (await world.client.csiStorageCapacities.list({ namespace: "kube-system" })).items.length === 0 ? true : undefined,
  );
});

test("a failed provisioning is retried after upstream's --retry-interval-start of 1 s, doubling, not at once", async (t) => {
  const world = await startWorld(t);
  await world.client.storageClasses.create(
    storageClass("secret", {
      parameters: {
        "csi.storage.k8s.io/provisioner-secret-name": "missing",
        "csi.storage.k8s.io/provisioner-secret-namespace": "default",
      },
    }),
  );
  await world.client.persistentVolumeClaims.create(claim("data", "secret"));
  // Three failures: at once, after 1 s, after 2 s more. A 5 ms start would repeat them within the same second.
  const failed = await eventually(async () =>
    (await eventsFor(world, "data")).find((e) => e.reason === "ProvisioningFailed" && (e.count ?? 0) >= 3),
  );
  const spentMs = Date.parse(failed.lastTimestamp ?? "") - Date.parse(failed.firstTimestamp ?? "");
  assert.ok(spentMs >= 2000, `3 attempts within ${spentMs} ms (${failed.firstTimestamp} to ${failed.lastTimestamp})`);
});
