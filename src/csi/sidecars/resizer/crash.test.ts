// Crash safety: resizers are stopped at random points while many claims are being expanded (in-flight CSI calls
// cancelled, status writes lost). A final resizer must finish every expansion: the driver's volume, the PV and the
// claim's allocatedResources all at the new size, the claim handed to the node (FileSystemResizePending).
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import type { PersistentVolumeClaim } from "../../../api/core/types.js";
import { eventually } from "../../../e2e/stowage.js";
import { MiB, startWorld } from "../../../e2e/resizer.js";

const claims = 40;
const rounds = 8;

const done = (claim: PersistentVolumeClaim) =>
  claim.status?.allocatedResourceStatuses?.storage === "NodeResizePending" &&
  claim.status.allocatedResources?.storage === "32Mi" &&
  (claim.status.conditions ?? []).map((c) => c.type).join(",") === "FileSystemResizePending";

test("resizers stopped at random points mid-expansion: a restarted one finishes every claim exactly as an unbroken run would", async (t) => {
  const world = await startWorld(t);
  const { client } = world;
  const handles = new Map<string, string>();
  for (let i = 0; i < claims; i++) {
    const pv = await world.volume(`data-${i}`, 16);
    handles.set(`data-${i}`, pv.spec.csi!.volumeHandle);
  }
  for (let i = 0; i < claims; i++) {
    await client.persistentVolumeClaims.patch("default", `data-${i}`, "merge", {
      spec: { resources: { requests: { storage: "32Mi" } } },
    });
  }
  let interrupted = 0;
  for (let round = 0; round < rounds; round++) {
    const resizer = await world.startResizer({ workers: 4 });
    await sleep(Math.floor(Math.random() * 60));
    await resizer.stop();
    const finished = (await client.persistentVolumeClaims.list({ namespace: "default" })).items.filter(done).length;
    if (finished < claims) interrupted++;
  }
  assert.ok(interrupted > 0, "no resizer was stopped mid-work; the test proves nothing");

  await world.startResizer();
  await eventually(async () => {
    const items = (await client.persistentVolumeClaims.list({ namespace: "default" })).items;
    return items.length === claims && items.every(done) ? true : undefined;
  }, 30_000);
  const capacities = await world.driverCapacities();
  for (const [name, handle] of handles) {
    assert.equal(capacities.get(handle), 32 * MiB, `driver's ${name}`);
    assert.equal((await client.persistentVolumes.get(name)).spec.capacity?.storage, "32Mi", `PV ${name}`);
    const claim = await client.persistentVolumeClaims.get("default", name);
    // The node finishes the resize: until then the claim's capacity stays what the filesystem has.
    assert.equal(claim.status?.capacity?.storage, "16Mi", `claim ${name}`);
    const pending = claim.status?.conditions?.find((c) => c.type === "FileSystemResizePending");
    assert.equal(
      pending?.message,
      "Waiting for user to (re-)start a pod to finish file system resize of volume on node.",
    );
  }
});
