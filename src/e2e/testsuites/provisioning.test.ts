// Upstream's storage testsuites provisioning, snapshottable and volume-expand (test/e2e/storage/testsuites), as
// patterns run against every driver of the matrix (drivers.ts) on one shared `stowage up --runtime process`.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StorageClass } from "../../api/storage/types.js";
import type { VolumeSnapshot } from "../../api/snapshot/types.js";
import { isNotFound } from "../../client/index.js";
import { eventually } from "../stowage.js";
import { driversHere, pattern, type TestDriver } from "./drivers.js";
import {
  assertLines,
  boundClaim,
  claimOf,
  claimVolume,
  create,
  deletePod,
  podOf,
  runToCompletion,
  runUntil,
  startSuiteWorld,
  type SuiteWorld,
} from "./world.js";

/** A class like the driver's own, changed by `change` (mount options, no expansion). */
async function classLike(world: SuiteWorld, driver: TestDriver, name: string, change: Partial<StorageClass>) {
  const base = await world.client.storageClasses.get(driver.storageClass);
  await world.client.storageClasses.create({
    ...base,
    metadata: { name },
    ...change,
  });
}

/** A claim with `content` written into /mnt/data/file by a pod (so it is provisioned and bound). */
async function claimWith(world: SuiteWorld, driver: TestDriver, claim: string, content: string, className?: string) {
  await create(world, claimOf(driver, claim, className ? { storageClassName: className } : {}));
  await runToCompletion(
    world,
    podOf(world.unique("seed"), `echo ${content} > /mnt/data/file; sync`, [claimVolume("data", claim)]),
  );
}

const readFile = async (world: SuiteWorld, claim: string) =>
  runToCompletion(world, podOf(world.unique("read"), "cat /mnt/data/file", [claimVolume("data", claim)]));

async function readySnapshot(world: SuiteWorld, driver: TestDriver, name: string, claim: string, className?: string) {
  const snapshot: VolumeSnapshot = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name, namespace: "default" },
    spec: {
      volumeSnapshotClassName: className ?? driver.snapshotClass,
      source: { persistentVolumeClaimName: claim },
    },
  };
  await world.client.volumeSnapshots.create(snapshot);
  return eventually(async () => {
    const current = await world.client.volumeSnapshots.get("default", name);
    return current.status?.readyToUse ? current : undefined;
  }, 60_000);
}

const snapshotSource = (name: string) => ({ kind: "VolumeSnapshot", name, apiGroup: "snapshot.storage.k8s.io" });

/** provisioning: the class's mountOptions reach the volume's filesystem mount. */
async function mountOptions(world: SuiteWorld, driver: TestDriver) {
  const option = driver.mountOption;
  assert.ok(option, "the driver's table row names a mount option");
  const className = world.unique(`${driver.name}-opts`);
  await classLike(world, driver, className, { mountOptions: [option.option] });
  const claim = world.unique(`${driver.name}-opts`);
  await create(world, claimOf(driver, claim, { storageClassName: className }));
  const output = await runToCompletion(
    world,
    podOf(world.unique("opts"), "grep ' /mnt/data ' /proc/self/mountinfo", [claimVolume("data", claim)]),
  );
  assert.match(output, option.shows);
}

/** provisioning: from a snapshot, from a claim (clone), and a snapshot restored into a larger claim. */
async function fromDataSources(world: SuiteWorld, driver: TestDriver, source: "snapshot" | "claim" | "larger") {
  const original = world.unique(`${driver.name}-src`);
  await claimWith(world, driver, original, "original");
  const restored = world.unique(`${driver.name}-${source}`);
  if (source === "claim") {
    await create(world, claimOf(driver, restored, { dataSource: { kind: "PersistentVolumeClaim", name: original } }));
  } else {
    const snapshot = world.unique(`${driver.name}-snap`);
    await readySnapshot(world, driver, snapshot, original);
    const size = source === "larger" ? "32Mi" : "16Mi";
    await create(world, claimOf(driver, restored, { dataSource: snapshotSource(snapshot), size }));
  }
  assertLines(await readFile(world, restored), ["original"]);
  if (source === "larger") {
    const claim = await boundClaim(world, restored);
    assert.equal(claim.status?.capacity?.storage, "32Mi", "restored at the larger size");
  }
}

/** snapshottable: a restore holds the source as it was when the snapshot was taken, not as it is now. */
async function restoreAtSnapshotTime(world: SuiteWorld, driver: TestDriver) {
  const source = world.unique(`${driver.name}-src`);
  await claimWith(world, driver, source, "before");
  const snapshot = world.unique(`${driver.name}-snap`);
  await readySnapshot(world, driver, snapshot, source);
  await runToCompletion(
    world,
    podOf(world.unique("change"), "echo after > /mnt/data/file; sync", [claimVolume("data", source)]),
  );
  const restored = world.unique(`${driver.name}-restored`);
  await create(world, claimOf(driver, restored, { dataSource: snapshotSource(snapshot) }));
  assertLines(await readFile(world, restored), ["before"]);
  assertLines(await readFile(world, source), ["after"]);
}

/** snapshottable: deletionPolicy Delete removes the content with the snapshot; Retain keeps it. */
async function deletionPolicy(world: SuiteWorld, driver: TestDriver, policy: "Delete" | "Retain") {
  const className = world.unique(`${driver.name}-${policy.toLowerCase()}`);
  await world.client.volumeSnapshotClasses.create({
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotClass",
    metadata: { name: className },
    driver: driver.driverName,
    deletionPolicy: policy,
  });
  const source = world.unique(`${driver.name}-src`);
  await claimWith(world, driver, source, "data");
  const snapshot = world.unique(`${driver.name}-snap`);
  const ready = await readySnapshot(world, driver, snapshot, source, className);
  const contentName = ready.status?.boundVolumeSnapshotContentName ?? "";
  await world.client.volumeSnapshots.delete("default", snapshot);
  await eventually(async () => {
    try {
      await world.client.volumeSnapshots.get("default", snapshot);
      return undefined;
    } catch (err) {
      return isNotFound(err) ? true : undefined;
    }
  }, 60_000);
  const content = await eventually(async () => {
    try {
      const found = await world.client.volumeSnapshotContents.get(contentName);
      return policy === "Retain" ? found : undefined;
    } catch (err) {
      return isNotFound(err) && policy === "Delete" ? "gone" : undefined;
    }
  }, 60_000);
  if (policy === "Retain" && typeof content !== "string") {
    assert.equal(content.spec.deletionPolicy, "Retain");
    assert.equal(content.metadata.deletionTimestamp, undefined, "the content stays");
  }
}

async function grow(world: SuiteWorld, claim: string, size: string) {
  await world.client.persistentVolumeClaims.patch("default", claim, "merge", {
    spec: { resources: { requests: { storage: size } } },
  });
}

/** Waits for the claim to report `size` with no resize condition left (upstream's WaitForFSResize). */
async function expandedTo(world: SuiteWorld, claim: string, size: string) {
  let last: unknown;
  try {
    await eventually(async () => {
      const current = await world.client.persistentVolumeClaims.get("default", claim);
      last = current.status;
      return current.status?.capacity?.storage === size && !(current.status.conditions ?? []).length ? true : undefined;
    }, 60_000);
  } catch (err) {
    const events = await world.stowage.kubectl(
      "get",
      "events",
      "-o",
      "custom-columns=OBJ:.involvedObject.name,REASON:.reason,MSG:.message",
    );
    assert.fail(`claim ${claim} not expanded to ${size}: ${JSON.stringify(last)} (${String(err)})\n${events}`);
  }
}

/** volume-expand: offline (no pod), then the next pod finishes the node part; online (while a pod uses it). */
async function expansion(world: SuiteWorld, driver: TestDriver, mode: "offline" | "online") {
  const claim = world.unique(`${driver.name}-grow`);
  await claimWith(world, driver, claim, "kept");
  const volumes = [claimVolume("data", claim)];
  if (mode === "offline") {
    await grow(world, claim, "32Mi");
    await eventually(async () => {
      const volumeName = (await world.client.persistentVolumeClaims.get("default", claim)).spec.volumeName ?? "";
      const volume = await world.client.persistentVolumes.get(volumeName);
      return volume.spec.capacity?.storage === "32Mi" ? true : undefined;
    }, 60_000);
    // upstream's WaitForPendingFSResizeCondition: the claim says the node part waits for a pod.
    await eventually(async () => {
      const current = await world.client.persistentVolumeClaims.get("default", claim);
      return current.status?.conditions?.some((c) => c.type === "FileSystemResizePending") ? true : undefined;
    }, 60_000);
    assertLines(await readFile(world, claim), ["kept"]);
    await expandedTo(world, claim, "32Mi");
    return;
  }
  const user = world.unique("online");
  await runUntil(world, podOf(user, "echo ready", volumes, { stay: true }), "ready");
  await grow(world, claim, "32Mi");
  await expandedTo(world, claim, "32Mi");
  await deletePod(world, user);
}

/** volume-expand: a class without allowVolumeExpansion refuses the resize, with upstream's message. */
async function expansionRefused(world: SuiteWorld, driver: TestDriver) {
  const className = world.unique(`${driver.name}-fixed`);
  await classLike(world, driver, className, { allowVolumeExpansion: false });
  const claim = world.unique(`${driver.name}-fixed`);
  await claimWith(world, driver, claim, "fixed", className);
  await assert.rejects(
    grow(world, claim, "32Mi"),
    /only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/,
  );
}

test("storage testsuites: provisioning, snapshottable, volume-expand", async (t) => {
  const world = await startSuiteWorld(t);
  for (const { driver, unavailable } of await driversHere()) {
    if (unavailable) {
      await t.test(`[${driver.name}]`, { skip: `driver unavailable here: ${unavailable}` }, () => {});
      continue;
    }
    await pattern(t, driver, "provisioning: should provision storage with mount options", ["mountOptions"], () =>
      mountOptions(world, driver),
    );
    await pattern(
      t,
      driver,
      "provisioning: should provision storage with snapshot data source",
      ["snapshotDataSource"],
      () => fromDataSources(world, driver, "snapshot"),
    );
    await pattern(t, driver, "provisioning: should provision storage with pvc data source", ["pvcDataSource"], () =>
      fromDataSources(world, driver, "claim"),
    );
    await pattern(
      t,
      driver,
      "provisioning: should restore a snapshot to a larger size",
      ["snapshotDataSource", "controllerExpansion"],
      () => fromDataSources(world, driver, "larger"),
    );
    await pattern(
      t,
      driver,
      "snapshottable: a restore reflects the source at snapshot time",
      ["snapshotDataSource"],
      () => restoreAtSnapshotTime(world, driver),
    );
    for (const policy of ["Delete", "Retain"] as const) {
      await pattern(t, driver, `snapshottable: deletionPolicy ${policy}`, ["snapshotDataSource"], () =>
        deletionPolicy(world, driver, policy),
      );
    }
    await pattern(
      t,
      driver,
      "volume-expand: should resize volume when PVC is edited while pod is not using it",
      ["controllerExpansion", "offlineExpansion"],
      () => expansion(world, driver, "offline"),
    );
    await pattern(
      t,
      driver,
      "volume-expand: should resize volume when PVC is edited while pod is using it",
      ["controllerExpansion", "onlineExpansion"],
      () => expansion(world, driver, "online"),
    );
    await pattern(
      t,
      driver,
      "volume-expand: should not allow expansion of pvcs without AllowVolumeExpansion property",
      [],
      () => expansionRefused(world, driver),
    );
  }
});
