// Upstream PV-controller behaviours beyond the basic binding sets (pv_controller.go 1.32): a WaitForFirstConsumer
// claim the scheduler handed to a provisioner is not given a static volume; a volume carrying a pre-resize
// capacity reports that capacity on the claim it binds; Recycle waits while pods still use the volume; Delete of a
// static CSI volume waits for the external deleter (HonorPVReclaimPolicy). The rows that upstream's unit test sets
// cover elsewhere (newest default class, a controller-bound volume whose claim went elsewhere) are in binder.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pod, pv, pvc, ref, sc } from "./testing/fixtures.js";
import { World } from "./testing/world.js";

const SN = "volume.kubernetes.io/selected-node";
const SP = "volume.kubernetes.io/storage-provisioner";
const preResize = "volume.alpha.kubernetes.io/pre-resize-capacity";
const onNode1 = {
  required: {
    nodeSelectorTerms: [
      { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In" as const, values: ["node-1"] }] },
    ],
  },
};

test("a WaitForFirstConsumer claim with selected-node and a provisioner is left to the provisioner, not matched to a free volume", async () => {
  const world = new World({
    classes: [sc("fast", { mode: "WaitForFirstConsumer" })],
    volumes: [pv("static", "1Gi", { className: "fast", nodeAffinity: onNode1 })],
    claims: [pvc("c", "1Gi", { className: "fast", annotations: { [SN]: "node-1" } })],
  });
  await world.converge();
  assert.equal(world.claim("c")?.spec.volumeName, undefined);
  assert.equal(world.claim("c")?.status?.phase, "Pending");
  assert.equal(world.claim("c")?.metadata.annotations?.[SP], "hostpath.csi.stowage.io");
  assert.ok(world.reasons("c").includes("ExternalProvisioning"));
  assert.equal(world.volume("static")?.status?.phase, "Available");
  assert.equal(world.volume("static")?.spec.claimRef, undefined);
});

test("binding a volume that carries pre-resize-capacity reports that capacity on the claim", async () => {
  const world = new World({
    volumes: [pv("grown", "10Gi", { annotations: { [preResize]: "5Gi" } })],
    claims: [pvc("c", "5Gi")],
  });
  await world.converge();
  assert.equal(world.claim("c")?.status?.phase, "Bound");
  assert.equal(world.claim("c")?.spec.volumeName, "grown");
  assert.deepEqual(world.claim("c")?.status?.capacity, { storage: "5Gi" });
});

test("Recycle of a volume a pod still uses (even Pending) waits with VolumeFailedRecycle naming the pods, then recycles", async () => {
  const world = new World({
    volumes: [pv("v", "1Gi", { policy: "Recycle", hostPath: "/tmp/stowage-recycle-waits-not-there" })],
    claims: [pvc("c", "1Gi")],
    pods: [pod("web", "c", { phase: "Pending" }), pod("done", "c", { phase: "Succeeded" }), pod("app", "c")],
  });
  await world.converge();
  assert.equal(world.volume("v")?.status?.phase, "Bound");
  world.deleteClaim("default", "c");
  await world.converge();
  assert.equal(world.volume("v")?.status?.phase, "Released");
  const waiting = world.events.filter((e) => e.name === "v" && e.reason === "VolumeFailedRecycle");
  assert.ok(waiting.length > 0, JSON.stringify(world.events));
  assert.deepEqual(
    new Set(waiting.map((e) => `${e.type} ${e.message}`)),
    new Set(["Normal Volume is used by pods: default/app,default/web"]),
  );
  // the pods go: the recycle goes ahead (and here fails for the missing directory, as a real one would)
  world.pods.length = 0;
  await world.converge();
  assert.equal(world.volume("v")?.status?.phase, "Failed");
  assert.ok(world.events.some((e) => e.type === "Warning" && e.reason === "VolumeFailedRecycle"));
});

test("Delete of a statically created CSI volume leaves it Released for its external deleter", async () => {
  const world = new World({
    volumes: [
      pv("static-csi", "1Gi", { policy: "Delete", csi: true }),
      pv("migrated", "1Gi", {
        policy: "Delete",
        claimRef: ref("m", "uid-m"),
        phase: "Bound",
        annotations: { "pv.kubernetes.io/migrated-to": "hostpath.csi.stowage.io" },
      }),
    ],
    claims: [pvc("c", "1Gi")],
  });
  await world.converge();
  assert.equal(world.volume("static-csi")?.status?.phase, "Bound");
  world.deleteClaim("default", "c");
  await world.converge();
  for (const name of ["static-csi", "migrated"]) {
    assert.equal(world.volume(name)?.status?.phase, "Released", name);
    assert.ok(!world.reasons(name).includes("VolumeFailedDelete"), `${name}: ${JSON.stringify(world.events)}`);
  }
});
