// Kill the controller-manager (a real `stowage controller-manager` child process, SIGKILL) in the middle of
// binding 1,000 claims, start it again, and check what an administrator would: every claim Bound, each to its
// own volume, every volume bound to exactly the claim that names it.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import type { PersistentVolume, PersistentVolumeClaim } from "../api/core/types.js";
import { createClient } from "../client/index.js";
import { eventually, startStowage } from "../e2e/stowage.js";

const main = fileURLToPath(new URL("../cli/main.ts", import.meta.url));
const count = 1000;

function startManager(kubeconfig: string): ChildProcess {
  return spawn(
    process.execPath,
    // one manager, killed and restarted: waiting out the dead one's 15 s Lease is not what this tests
    [
      "--import",
      "tsx",
      main,
      "controller-manager",
      "--kubeconfig",
      kubeconfig,
      "--workers",
      "64",
      "--leader-elect=false",
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

test("a controller-manager killed mid-binding of 1,000 claims converges after restart: each claim to its own volume", async (t) => {
  const stowage = await startStowage(t);
  const client = createClient(stowage.transport());
  const sizes = ["1Gi", "2Gi", "5Gi", "10Gi"];
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => {
        const n = i + j;
        return client.persistentVolumes.create({
          metadata: { name: `pv-${n}` },
          spec: {
            capacity: { storage: sizes[n % sizes.length] },
            accessModes: ["ReadWriteOnce"],
            persistentVolumeReclaimPolicy: "Retain",
            hostPath: { path: `/tmp/stowage-crash/pv-${n}` },
          },
        });
      }),
    );
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => {
        const n = i + j;
        return client.persistentVolumeClaims.create({
          metadata: { name: `claim-${n}`, namespace: "default" },
          spec: {
            accessModes: ["ReadWriteOnce"],
            storageClassName: "",
            resources: { requests: { storage: sizes[n % sizes.length] } },
          },
        });
      }),
    );
  }

  const children: ChildProcess[] = [];
  t.after(() => Promise.all(children.map(kill)));
  const bound = async () =>
    (await client.persistentVolumeClaims.list({ namespace: "default" })).items.filter(
      (c) => c.status?.phase === "Bound",
    ).length;

  const first = startManager(stowage.kubeconfig);
  children.push(first);
  // Kill it once binding is well under way: some claims Bound, most not, some halfway (PV written, claim not).
  const atKill = await eventually(async () => {
    const n = await bound();
    return n >= 50 ? n : undefined;
  }, 60_000);
  await kill(first);
  const afterKill = await bound();
  assert.ok(afterKill < count, `the kill came mid-binding (${afterKill} of ${count} bound when it landed)`);

  const second = startManager(stowage.kubeconfig);
  children.push(second);
  await eventually(async () => ((await bound()) === count ? true : undefined), 120_000);

  // Let the volume side finish too (every PV Bound), then check the pairing both ways.
  const { claims, volumes } = await eventually(async () => {
    const claims = (await client.persistentVolumeClaims.list({ namespace: "default" })).items;
    const volumes = (await client.persistentVolumes.list()).items;
    return volumes.every((v) => v.status?.phase === "Bound") ? { claims, volumes } : undefined;
  }, 30_000);
  const byName = new Map<string, PersistentVolume>(volumes.map((v) => [v.metadata.name ?? "", v]));
  const taken = new Set<string>();
  for (const claim of claims as PersistentVolumeClaim[]) {
    const volumeName = claim.spec.volumeName ?? "";
    assert.ok(!taken.has(volumeName), `volume ${volumeName} is bound twice`);
    taken.add(volumeName);
    const volume = byName.get(volumeName);
    assert.equal(volume?.spec.claimRef?.uid, claim.metadata.uid, `${volumeName} points back at ${claim.metadata.name}`);
    assert.equal(claim.metadata.annotations?.["pv.kubernetes.io/bind-completed"], "yes");
  }
  assert.equal(taken.size, count);
  t.diagnostic(`killed with ${atKill}–${afterKill} of ${count} claims bound; all ${count} bound after restart`);
});
