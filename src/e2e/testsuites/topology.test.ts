// Upstream's storage testsuites multiVolume (across nodes), topology, capacity and volumeLimits
// (test/e2e/storage/testsuites), as patterns run against every driver of the matrix (drivers.ts) on one shared
// two-node `stowage up --runtime process`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeName } from "../parts.js";
import { eventually } from "../stowage.js";
import { driversHere, pattern, type TestDriver } from "./drivers.js";
import {
  boundClaim,
  claimOf,
  claimVolume,
  create,
  deletePod,
  eventsFor,
  podOf,
  runToCompletion,
  runUntil,
  startSuiteWorld,
  type SuiteWorld,
} from "./world.js";

const onNode = (index: number) => ({ nodeSelector: { "kubernetes.io/hostname": nodeName(index) } });

/** multiVolume: a ReadWriteOnce volume in use on one node is refused to a pod on another: it never runs there. */
async function secondNodeRefused(world: SuiteWorld, driver: TestDriver) {
  const claim = world.unique(`${driver.name}-rwo`);
  await create(world, claimOf(driver, claim));
  const volumes = [claimVolume("data", claim)];
  const first = world.unique("node1");
  await runUntil(world, podOf(first, "echo ready", volumes, { ...onNode(1), stay: true }), "ready");
  const second = world.unique("node2");
  await create(world, podOf(second, "true", volumes, onNode(2)));
  const [message] = await eventually(async () => {
    const messages = await eventsFor(world, second, "FailedScheduling");
    return messages.length ? messages : undefined;
  }, 30_000);
  // The volume lives on node 1 (its PV's node affinity): the scheduler finds no node for the second pod.
  assert.match(message, /volume node affinity conflict/);
  assert.equal((await world.client.pods.get("default", second)).spec.nodeName, undefined);
  await deletePod(world, second);
  await deletePod(world, first);
}

/** topology: a class's allowedTopologies put the volume, and so its pod, on the allowed node only. */
async function allowedTopologies(world: SuiteWorld, driver: TestDriver) {
  const className = world.unique(`${driver.name}-topo`);
  const base = await world.client.storageClasses.get(driver.storageClass);
  await world.client.storageClasses.create({
    ...base,
    metadata: { name: className },
    allowedTopologies: [{ matchLabelExpressions: [{ key: driver.topologyKey, values: [nodeName(2)] }] }],
  });
  const claim = world.unique(`${driver.name}-topo`);
  await create(world, claimOf(driver, claim, { storageClassName: className }));
  const pod = world.unique("topo");
  assert.equal(await runToCompletion(world, podOf(pod, "echo placed", [claimVolume("data", claim)])), "placed\n");
  const bound = await boundClaim(world, claim);
  const volume = await world.client.persistentVolumes.get(bound.spec.volumeName ?? "");
  const terms = volume.spec.nodeAffinity?.required?.nodeSelectorTerms ?? [];
  assert.deepEqual(
    terms.flatMap((term) => term.matchExpressions ?? []).map((e) => [e.key, e.values]),
    [[driver.topologyKey, [nodeName(2)]]],
  );
}

/** capacity: the driver's capacity is published per node as CSIStorageCapacity objects for its class. */
async function capacityPublished(world: SuiteWorld, driver: TestDriver) {
  const perNode = await eventually(async () => {
    const items = (await world.client.csiStorageCapacities.list()).items.filter(
      (c) => c.storageClassName === driver.storageClass,
    );
    const nodes = items.flatMap((c) => c.nodeTopology?.matchLabels?.[driver.topologyKey] ?? []).sort();
    return nodes.length === 2 ? items : undefined;
  }, 30_000);
  for (const capacity of perNode) assert.ok(capacity.capacity && capacity.capacity !== "0", "some capacity");
}

test("storage testsuites: multiVolume across nodes, topology, capacity, volumeLimits", async (t) => {
  const world = await startSuiteWorld(t, { nodes: 2 });
  for (const { driver, unavailable } of await driversHere()) {
    if (unavailable) {
      await t.test(`[${driver.name}]`, { skip: `driver unavailable here: ${unavailable}` }, () => {});
      continue;
    }
    await pattern(
      t,
      driver,
      "multiVolume: a ReadWriteOnce volume is refused to a pod on a second node",
      ["topology"],
      () => secondNodeRefused(world, driver),
    );
    await pattern(
      t,
      driver,
      "topology: should provision a volume and schedule a pod with AllowedTopologies",
      ["topology"],
      () => allowedTopologies(world, driver),
    );
    await pattern(t, driver, "capacity: provides storage capacity information", ["capacity"], () =>
      capacityPublished(world, driver),
    );
    await pattern(
      t,
      driver,
      "volumeLimits: should verify that all csinodes have volume limits",
      ["volumeLimits"],
      async () => undefined,
    );
  }
});
