// startControllerManager with leader election: of two managers only one binds; when it stops, the other takes
// over and binds what comes next.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Client } from "../client/index.js";
import { createClient } from "../client/index.js";
import { eventually, startStowage } from "../e2e/stowage.js";
import { startControllerManager } from "./manager.js";

async function staticPair(client: Client, name: string): Promise<void> {
  await client.persistentVolumes.create({
    metadata: { name: `pv-${name}` },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      hostPath: { path: `/tmp/stowage-le/${name}` },
    },
  });
  await client.persistentVolumeClaims.create({
    metadata: { name, namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], storageClassName: "", resources: { requests: { storage: "1Gi" } } },
  });
}

const boundTo = (client: Client, name: string) =>
  eventually(async () => {
    const claim = await client.persistentVolumeClaims.get("default", name);
    return claim.status?.phase === "Bound" ? claim.spec.volumeName : undefined;
  }, 20_000);

test("with --leader-elect one controller-manager leads; when it stops the other takes over", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  const client = createClient(stowage.transport());
  const abort = new AbortController();
  t.after(() => abort.abort());
  const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 200 };
  const quiet = () => undefined;
  const a = await startControllerManager({
    client,
    signal: abort.signal,
    leaderElect: { identity: "a", ...timing },
    log: quiet,
  });
  const b = await startControllerManager({
    client,
    signal: abort.signal,
    leaderElect: { identity: "b", ...timing },
    log: quiet,
  });
  await Promise.race([a.ready, b.ready]);
  assert.equal([a, b].filter((m) => m.isLeader()).length, 1, "exactly one leader");
  const lease = await client.leases.get("kube-system", "kube-controller-manager");
  const [leader, follower] = lease.spec?.holderIdentity === "a" ? [a, b] : [b, a];

  await staticPair(client, "first");
  assert.equal(await boundTo(client, "first"), "pv-first");

  await leader.stop();
  await follower.ready;
  assert.ok(follower.isLeader());
  await staticPair(client, "second");
  assert.equal(await boundTo(client, "second"), "pv-second");
  await follower.stop();
});
