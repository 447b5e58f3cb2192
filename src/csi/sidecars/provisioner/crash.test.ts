// Crash safety: `stowage csi-provisioner` SIGKILLed at random points while 200 claims are provisioned and then
// deleted; each restart lists claims and PVs afresh and finishes the work. Every claim ends with exactly one
// PV and one driver volume (CreateVolume is idempotent by the PV's name), and after deletion nothing is left.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { repoRoot } from "../../drivers/hostpath/testing/driver.js";
import { claim, eventually, startWorld, storageClass, type World } from "../../../e2e/provisioner.js";
import { seededRandom } from "../../../e2e/random.js";

const runner = fileURLToPath(new URL("../../../cli/testing/csiprovisioner-run.ts", import.meta.url));

async function spawnProvisioner(world: World): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      runner,
      "csi-provisioner",
      "--csi-address",
      world.driver.endpoint,
      "--kubeconfig",
      world.stowage.kubeconfig,
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => (out += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: string) => {
      out += chunk;
      if (out.includes(" running against ")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`csi-provisioner exited with ${code} before running:\n${out}`)));
  });
  return child;
}

async function sigkill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test(
  "a provisioner killed at random points provisions every claim exactly once and deletes every volume",
  { timeout: 180_000 },
  async (t) => {
    const world = await startWorld(t, { inProcess: false });
    const random = seededRandom(t);
    const children = new Set<ChildProcess>();
    t.after(async () => {
      for (const child of children) await sigkill(child);
    });
    const restart = async () => {
      const child = await spawnProvisioner(world);
      children.add(child);
      return child;
    };
    const killAtRandom = async (child: ChildProcess) => {
      await sleep(50 + random() * 700);
      await sigkill(child);
      children.delete(child);
    };

    await world.client.storageClasses.create(storageClass("fast"));
    const total = 200;
    const cycles = 4;
    for (let cycle = 0; cycle < cycles; cycle++) {
      const child = await restart();
      const batch = Array.from({ length: total / cycles }, (_, i) => `data-${cycle * (total / cycles) + i}`);
      await Promise.all([
        Promise.all(batch.map((name) => world.client.persistentVolumeClaims.create(claim(name, "fast", "1Mi")))),
        killAtRandom(child),
      ]);
    }
    const last = await restart();
    const t0 = Date.now();
    const mark = (what: string) => process.env.CRASH_DEBUG && console.error(what, Date.now() - t0);

    const claims = await eventually(async () => {
      const list = await world.client.persistentVolumeClaims.list({ namespace: "default" });
      return list.items.length === total && list.items.every((c) => c.status?.phase === "Bound")
        ? list.items
        : undefined;
    }, 120_000);
    mark("bound");
    const volumes = (await world.client.persistentVolumes.list()).items;
    assert.equal(volumes.length, total, "one PV per claim");
    const driverVolumes = Object.values(await world.driverVolumes());
    assert.equal(driverVolumes.length, total, "one driver volume per claim, none leaked");
    assert.equal((await world.volumeDirs()).length, total);
    const handleByName = new Map(driverVolumes.map((v) => [v.name, v] as const));
    const driverIds = new Map(Object.entries(await world.driverVolumes()).map(([id, v]) => [v.name, id] as const));
    assert.equal(handleByName.size, total, "volume names are unique in the driver");
    for (const c of claims) {
      const pvName = `pvc-${c.metadata.uid}`;
      assert.equal(c.spec.volumeName, pvName);
      const pv = volumes.find((v) => v.metadata.name === pvName);
      assert.ok(pv, `PV ${pvName} exists`);
      assert.equal(pv.spec.csi?.volumeHandle, driverIds.get(pvName), `PV ${pvName} names the driver's volume`);
    }

    // Now delete everything, killing the provisioner in the middle of it.
    await Promise.all([
      world.client.persistentVolumeClaims.deleteCollection({ namespace: "default" }),
      killAtRandom(last),
    ]);
    await killAtRandom(await restart());
    mark("deleting");
    await restart();
    await eventually(
      async () => ((await world.client.persistentVolumes.list()).items.length === 0 ? true : undefined),
      120_000,
    );
    mark("deleted");
    assert.deepEqual(Object.keys(await world.driverVolumes()), []);
    assert.deepEqual(await world.volumeDirs(), []);
  },
);
