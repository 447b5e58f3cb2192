// controllerExpandSecretRef: a PV naming a secret that does not exist cannot be expanded (VolumeResizeFailed says
// which secret); once the secret exists the retry succeeds. A claim whose resizer annotation names another driver
// is left alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../../e2e/stowage.js";
import { startWorld } from "../../../e2e/resizer.js";

test("a missing controllerExpandSecretRef fails the expansion with the secret's name; creating it lets the retry succeed", async (t) => {
  const world = await startWorld(t);
  const { client } = world;
  const pv = await world.volume("data", 16);
  await client.persistentVolumes.update({
    ...structuredClone(pv),
    spec: { ...pv.spec, csi: { ...pv.spec.csi!, controllerExpandSecretRef: { name: "expand", namespace: "default" } } },
  });
  await world.volume("other", 16);
  await client.persistentVolumeClaims.patch("default", "other", "merge", {
    metadata: { annotations: { "volume.kubernetes.io/storage-resizer": "someone-else.example.com" } },
    spec: { resources: { requests: { storage: "32Mi" } } },
  });
  await world.startResizer();
  await client.persistentVolumeClaims.patch("default", "data", "merge", {
    spec: { resources: { requests: { storage: "32Mi" } } },
  });
  const failed = await eventually(async () => {
    const events = (await client.events.list({ namespace: "default" })).items;
    return events.find((e) => e.reason === "VolumeResizeFailed" && e.involvedObject.name === "data");
  });
  assert.equal(failed.type, "Warning");
  assert.match(
    failed.message ?? "",
    /^resize volume "data" by resizer "hostpath.csi.stowage.dev" failed: failed to get secret default\/expand: /,
  );

  await client.secrets.create({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "expand", namespace: "default" },
    stringData: { token: "t" },
  });
  // Retried with backoff until the secret is there.
  await eventually(async () => {
    const claim = await client.persistentVolumeClaims.get("default", "data");
    return claim.status?.allocatedResourceStatuses?.storage === "NodeResizePending" ? true : undefined;
  }, 20_000);
  assert.equal((await client.persistentVolumes.get("data")).spec.capacity?.storage, "32Mi");
  // Someone else's claim: untouched.
  const other = await client.persistentVolumeClaims.get("default", "other");
  assert.equal(other.status?.allocatedResourceStatuses, undefined);
  assert.equal((await client.persistentVolumes.get("other")).spec.capacity?.storage, "16Mi");
});
