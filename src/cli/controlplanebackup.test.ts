import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { TestContext } from "node:test";
import { createClient, loadKubeconfig } from "../client/index.js";
import type { Client } from "../client/index.js";
import { eventually, startStowage } from "../e2e/stowage.js";
import { upComponents } from "./up.js";
import { backupControlPlane, restoreControlPlane } from "./controlplanebackup.js";
import { DataDirPki } from "./pki.js";

const count = 1000;
const name = (i: number) => `data-${String(i).padStart(4, "0")}`;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-cpbackup-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `work` over 0..n-1, `width` at a time. */
async function inParallel(n: number, width: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

function createVolume(client: Client, i: number) {
  return client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: `pv-${name(i)}` },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "manual",
      hostPath: { path: `/tmp/stowage-cpbackup/${name(i)}` },
    },
  });
}

function createClaim(client: Client, i: number) {
  return client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: name(i), namespace: "default" },
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "manual" },
  });
}

test("a control-plane backup taken while 1,000 claims are created restores into a new data dir where every claim binds once and clients relist", async (t) => {
  const dir = await tempDir(t);
  const old = await startStowage(t, { components: upComponents });
  const client = createClient(old.transport());
  await inParallel(count, 16, (i) => createVolume(client, i));

  // Claims keep arriving, and the binder keeps binding them, while the copy is taken over HTTPS as the admin.
  let acknowledged = 0;
  const creating = inParallel(count, 16, async (i) => {
    await createClaim(client, i);
    acknowledged += 1;
  });
  await eventually(() => (acknowledged >= count / 4 ? true : undefined), 60_000);
  const before = acknowledged;
  const backup = await backupControlPlane(loadKubeconfig(old.kubeconfig), join(dir, "control-plane.db"));
  const after = acknowledged;
  await creating;
  assert.ok(backup.bytes > 0 && backup.revision > 0);
  // The highest resourceVersion any client of the old store saw: clients of the new one must not reuse it.
  const seen = Number((await client.persistentVolumeClaims.list({ namespace: "default" })).metadata.resourceVersion);
  await old.stop();

  const restored = restoreControlPlane(backup.file, join(dir, "new"));
  assert.equal(restored.backupRevision, backup.revision);
  const copy = await startStowage(t, { dataDir: join(dir, "new"), components: upComponents });
  const restoredClient = createClient(copy.transport());
  const claims = (await restoredClient.persistentVolumeClaims.list({ namespace: "default" })).items;
  assert.ok(claims.length >= before && claims.length <= after + 16, `${claims.length} claims: ${before}..${after}`);
  assert.equal((await restoredClient.persistentVolumes.list()).items.length, count);

  // The controllers converge: every restored claim Bound, each to its own volume, and no volume to two claims.
  const bound = await eventually(async () => {
    const now = (await restoredClient.persistentVolumeClaims.list({ namespace: "default" })).items;
    return now.every((claim) => claim.status?.phase === "Bound") ? now : undefined;
  }, 60_000);
  assert.equal(bound.length, claims.length, "no claim appeared or vanished after the restore");
  const volumes = new Map(
    (await restoredClient.persistentVolumes.list()).items.map((pv) => [pv.metadata.name ?? "", pv]),
  );
  const taken = new Set<string>();
  for (const claim of bound) {
    const volumeName = claim.spec.volumeName!;
    assert.ok(!taken.has(volumeName), `${volumeName} is bound to two claims`);
    taken.add(volumeName);
    const ref = volumes.get(volumeName)?.spec.claimRef;
    assert.equal(ref?.name, claim.metadata.name);
    assert.equal(ref?.uid, claim.metadata.uid);
  }
  const bystanders = [...volumes.values()].filter((pv) => !taken.has(pv.metadata.name ?? ""));
  assert.ok(
    bystanders.every((pv) => pv.status?.phase === "Available" && !pv.spec.claimRef),
    "no volume leaked",
  );

  // A client that watched the old store resumes from a revision the new one never had: 410, then it relists.
  const watch = await copy.httpsTransport()({
    method: "GET",
    path: "/api/v1/namespaces/default/persistentvolumeclaims",
    query: new URLSearchParams({ watch: "true", resourceVersion: String(seen) }),
    headers: {},
  });
  let first = "";
  for await (const chunk of watch.body as AsyncIterable<Uint8Array>) {
    first += Buffer.from(chunk).toString();
    if (first.includes("\n")) break;
  }
  const event = JSON.parse(first.split("\n")[0]) as { type: string; object: { code: number } };
  assert.deepEqual([event.type, event.object.code], ["ERROR", 410]);
  const fresh = await restoredClient.persistentVolumeClaims.create({
    ...claims[0],
    metadata: { name: "fresh", namespace: "default" },
  });
  assert.ok(Number(fresh.metadata.resourceVersion) > seen);
});

test("only an admin may take a control-plane backup, and an existing file is never overwritten", async (t) => {
  const dir = await tempDir(t);
  const stowage = await startStowage(t);
  const admin = loadKubeconfig(stowage.kubeconfig);
  const issued = await (await DataDirPki.open(stowage.dataDir)).issueClient("jane", ["developers"]);
  const jane = { ...admin, clientCertificate: Buffer.from(issued.cert), clientKey: Buffer.from(issued.key) };
  await assert.rejects(
    backupControlPlane(jane, join(dir, "jane.db")),
    /refused the backup \(403\): forbidden: User "jane" cannot get path "\/backup\/control-plane"/,
  );
  assert.equal(existsSync(join(dir, "jane.db")) || existsSync(join(dir, "jane.db.partial")), false);
  await backupControlPlane(admin, join(dir, "one.db"));
  await assert.rejects(backupControlPlane(admin, join(dir, "one.db")), /already exists/);
});

test("restore refuses a data dir that has a store, and names etcd's tool for an etcd snapshot", async (t) => {
  const dir = await tempDir(t);
  const stowage = await startStowage(t);
  const taken = await backupControlPlane(loadKubeconfig(stowage.kubeconfig), join(dir, "backup.db"));
  assert.throws(() => restoreControlPlane(taken.file, stowage.dataDir), /already has a store/);
  writeFileSync(join(dir, "snapshot.db"), Buffer.alloc(4096));
  assert.throws(() => restoreControlPlane(join(dir, "snapshot.db"), join(dir, "new")), /etcdutl snapshot restore/);
});
