// Upstream's storage testsuites volumes, subPath, multiVolume (one node), volumeMode, fsgroupchangepolicy,
// readwriteoncepod and ephemeral (test/e2e/storage/testsuites), as patterns run against every driver of the matrix
// (drivers.ts) on one shared `stowage up --runtime process`.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { driversHere, pattern, type TestDriver } from "./drivers.js";
import {
  assertLines,
  boundClaim,
  claimOf,
  claimVolume,
  create,
  deletePod,
  driverVolumeIds,
  eventsFor,
  podOf,
  runToCompletion,
  runUntil,
  startSuiteWorld,
  type SuiteWorld,
} from "./world.js";
import { eventually } from "../stowage.js";

/** volumes: data written by one pod is read by the next; a file on the volume can be executed. */
async function storesDataAndExecs(world: SuiteWorld, driver: TestDriver) {
  const claim = world.unique(`${driver.name}-vol`);
  await create(world, claimOf(driver, claim));
  const volumes = [claimVolume("data", claim)];
  await runToCompletion(
    world,
    podOf(
      world.unique("writer"),
      "printf 'echo executed from the volume\\n' > /mnt/data/run.sh; chmod +x /mnt/data/run.sh; echo kept > /mnt/data/file",
      volumes,
    ),
  );
  const output = await runToCompletion(
    world,
    podOf(world.unique("reader"), "cat /mnt/data/file; /mnt/data/run.sh", volumes),
  );
  assertLines(output, ["kept", "executed from the volume"]);
}

/** subPath: an existing directory, a single file, a path created on demand, a read-only directory mount. */
async function subPaths(world: SuiteWorld, driver: TestDriver) {
  const claim = world.unique(`${driver.name}-sub`);
  await create(world, claimOf(driver, claim));
  const volumes = [claimVolume("data", claim)];
  await runToCompletion(
    world,
    podOf(
      world.unique("seed"),
      "mkdir -p /mnt/data/dir; echo in-dir > /mnt/data/dir/a; echo single > /mnt/data/file",
      volumes,
    ),
  );
  const mounts = [
    { name: "data", mountPath: "/existing", subPath: "dir" },
    { name: "data", mountPath: "/single", subPath: "file" },
    { name: "data", mountPath: "/created", subPath: "new/deeper" },
    { name: "data", mountPath: "/ro", subPath: "dir", readOnly: true },
  ];
  const script =
    "cat /existing/a /single; echo made > /created/b; touch /ro/x 2>/dev/null && echo writable || echo read-only";
  assertLines(await runToCompletion(world, podOf(world.unique("subpath"), script, volumes, { mounts })), [
    "in-dir",
    "single",
    "read-only",
  ]);
  // What the subPath created is in the volume, where a whole-volume mount sees it.
  assertLines(await runToCompletion(world, podOf(world.unique("check"), "cat /mnt/data/new/deeper/b", volumes)), [
    "made",
  ]);
}

/** multiVolume: two pods on one node use one ReadWriteOnce volume at the same time and see each other's writes. */
async function twoPodsOneNode(world: SuiteWorld, driver: TestDriver) {
  const claim = world.unique(`${driver.name}-shared`);
  await create(world, claimOf(driver, claim));
  const volumes = [claimVolume("data", claim)];
  const first = world.unique("first");
  await runUntil(
    world,
    podOf(first, "echo from-first > /mnt/data/first; echo ready", volumes, { stay: true }),
    "ready",
  );
  const output = await runToCompletion(world, podOf(world.unique("second"), "cat /mnt/data/first", volumes));
  assertLines(output, ["from-first"]);
  await deletePod(world, first);
}

/** volumeMode Block: the raw device is at devicePath and keeps bytes across pods. */
async function rawBlock(world: SuiteWorld, driver: TestDriver) {
  const claim = world.unique(`${driver.name}-raw`);
  await create(world, claimOf(driver, claim, { volumeMode: "Block" }));
  const volumes = [claimVolume("raw", claim)];
  const devices = [{ name: "raw", devicePath: "/dev/xvda" }];
  const write =
    "test -b /dev/xvda && echo block-device; printf stowage-raw | dd of=/dev/xvda bs=512 seek=1 conv=notrunc 2>/dev/null; sync";
  assertLines(await runToCompletion(world, podOf(world.unique("raw-writer"), write, volumes, { devices })), [
    "block-device",
  ]);
  const read = "dd if=/dev/xvda bs=512 skip=1 count=1 2>/dev/null | head -c 11; echo";
  assertLines(await runToCompletion(world, podOf(world.unique("raw-reader"), read, volumes, { devices })), [
    "stowage-raw",
  ]);
}

/**
 * fsgroupchangepolicy: a first pod with fsGroup 1000 leaves the volume's root right, then moves a file to group
 * 3000; a second pod with the same fsGroup finds that file unchanged under OnRootMismatch and changed under Always.
 */
async function fsGroupChangePolicy(world: SuiteWorld, driver: TestDriver, policy: "OnRootMismatch" | "Always") {
  const claim = world.unique(`${driver.name}-fsg`);
  await create(world, claimOf(driver, claim));
  const volumes = [claimVolume("data", claim)];
  const securityContext = { fsGroup: 1000, fsGroupChangePolicy: policy };
  await runToCompletion(
    world,
    podOf(
      world.unique("fsg-first"),
      "mkdir /mnt/data/sub; echo x > /mnt/data/sub/file; chgrp 3000 /mnt/data/sub/file",
      volumes,
      {
        securityContext,
      },
    ),
  );
  const output = await runToCompletion(
    world,
    podOf(world.unique("fsg-second"), "stat -c %g /mnt/data /mnt/data/sub/file", volumes, { securityContext }),
  );
  assertLines(output, ["1000", policy === "OnRootMismatch" ? "3000" : "1000"]);
}

/** readwriteoncepod: a second pod using a ReadWriteOncePod claim in use is unschedulable, with upstream's reason. */
async function readWriteOncePod(world: SuiteWorld, driver: TestDriver) {
  const claim = world.unique(`${driver.name}-rwop`);
  await create(world, claimOf(driver, claim, { accessModes: ["ReadWriteOncePod"] }));
  const volumes = [claimVolume("data", claim)];
  const first = world.unique("rwop-first");
  await runUntil(world, podOf(first, "echo ready", volumes, { stay: true }), "ready");
  const second = world.unique("rwop-second");
  await create(world, podOf(second, "true", volumes));
  const [message] = await eventually(async () => {
    const messages = await eventsFor(world, second, "FailedScheduling");
    return messages.length ? messages : undefined;
  }, 30_000);
  assert.match(message, /node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode/);
  assert.equal((await world.client.pods.get("default", second)).spec.nodeName, undefined);
  await deletePod(world, second);
  await deletePod(world, first);
}

/** ephemeral (generic): the pod's claim is made from its template, provisioned, used, and goes with the pod. */
async function genericEphemeral(world: SuiteWorld, driver: TestDriver) {
  const name = world.unique(`${driver.name}-eph`);
  const template = { spec: claimOf(driver, "unused").spec };
  const pod = podOf(name, "echo scratch > /mnt/scratch/file; cat /mnt/scratch/file", [
    { name: "scratch", ephemeral: { volumeClaimTemplate: template } },
  ]);
  await create(world, pod);
  await world.stowage.waitForPhase(name, "Succeeded", 60);
  const claim = await boundClaim(world, `${name}-scratch`);
  assert.equal(claim.metadata.ownerReferences?.[0]?.name, name);
  assertLines(await world.stowage.kubectl("logs", name), ["scratch"]);
  await world.stowage.kubectl("delete", "pod", name, "--timeout=60s");
  await eventually(
    async () =>
      (await world.client.persistentVolumeClaims.list({ namespace: "default" })).items.some(
        (c) => c.metadata.name === `${name}-scratch`,
      )
        ? undefined
        : true,
    30_000,
  );
}

/**
 * ephemeral (inline CSI): the pod's spec.volumes[].csi is published for it alone (the driver makes the volume under
 * the id the kubelet makes: csi- and sha256 of the pod's UID and the volume's name), holds its data while it runs,
 * and is gone from the driver once the pod is.
 */
async function inlineEphemeral(world: SuiteWorld, driver: TestDriver) {
  assert.match(
    await world.stowage.kubectl("get", "csidriver", driver.driverName),
    /\sPersistent,Ephemeral\s/,
    "the CSIDriver lists Ephemeral",
  );
  const name = world.unique(`${driver.name}-inline`);
  const volume = { name: "scratch", csi: { driver: driver.driverName, volumeAttributes: { size: "16Mi" } } };
  const script = "echo inline > /mnt/scratch/file; cat /mnt/scratch/file; echo ready";
  await runUntil(world, podOf(name, script, [volume], { stay: true }), "ready");
  assertLines(await world.stowage.kubectl("logs", name), ["inline", "ready"]);
  const running = await world.client.pods.get("default", name);
  const node = running.spec.nodeName ?? "";
  const handle = `csi-${createHash("sha256").update(`${running.metadata.uid}scratch`).digest("hex")}`;
  assert.ok((await driverVolumeIds(world, driver, node)).includes(handle), "the driver made the inline volume");
  await deletePod(world, name);
  await eventually(async () => ((await driverVolumeIds(world, driver, node)).includes(handle) ? undefined : true));
}

test("storage testsuites: volumes, subPath, multiVolume, volumeMode, fsgroupchangepolicy, readwriteoncepod, ephemeral", async (t) => {
  const world = await startSuiteWorld(t);
  for (const { driver, unavailable } of await driversHere()) {
    if (unavailable) {
      await t.test(`[${driver.name}]`, { skip: `driver unavailable here: ${unavailable}` }, () => {});
      continue;
    }
    await pattern(
      t,
      driver,
      "volumes: should store data; should allow exec of files on the volume",
      ["persistence", "exec"],
      () => storesDataAndExecs(world, driver),
    );
    await pattern(t, driver, "subPath: existing directory, single file, created path, readOnly directory", [], () =>
      subPaths(world, driver),
    );
    await pattern(t, driver, "multiVolume: two pods on one node share a ReadWriteOnce volume", ["multiPods"], () =>
      twoPodsOneNode(world, driver),
    );
    await pattern(t, driver, "volumeMode: a Block volume's device keeps its bytes", ["block"], () =>
      rawBlock(world, driver),
    );
    for (const policy of ["OnRootMismatch", "Always"] as const) {
      await pattern(t, driver, `fsgroupchangepolicy (${policy}): a new pod with the same fsGroup`, ["fsGroup"], () =>
        fsGroupChangePolicy(world, driver, policy),
      );
    }
    await pattern(
      t,
      driver,
      "readwriteoncepod: a second pod is refused while the first uses the volume",
      ["readWriteOncePod"],
      () => readWriteOncePod(world, driver),
    );
    await pattern(
      t,
      driver,
      "ephemeral: a generic ephemeral volume is provisioned, used and removed",
      ["genericEphemeral"],
      () => genericEphemeral(world, driver),
    );
    await pattern(
      t,
      driver,
      "ephemeral: an inline CSI volume is made for the pod, used, and deleted with it",
      ["csiInlineEphemeral"],
      () => inlineEphemeral(world, driver),
    );
  }
});
