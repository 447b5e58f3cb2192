// The provisioner against the real apiserver, the real PV controller and the real hostpath driver over gRPC.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Event } from "../../../api/core/types.js";
import { isNotFound } from "../../../client/index.js";
import { claim, driverName, eventually, startWorld, storageClass } from "./testing/world.js";

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
  const listed = await world.driver.client.controller.ListVolumes({});
  assert.equal(listed.entries.length, 1);

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
