// Backup expiry and deletion, driven by a clock the test holds against a real secured apiserver as the backup
// controller's ServiceAccount: the finalizer comes when a backup has finished, an unexpired backup is left until
// its expiration, and a read-only location's backups do not expire here while a deleted one goes without its data
// being touched. (The data's own deletion, restic forget + prune, is src/cli/backupretention.test.ts.)
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { Backup } from "../api/backup/types.js";
import { serviceAccountUserInfo } from "../api/user.js";
import { createClient, createInformerFactory, keyOf } from "../client/index.js";
import { startStowage } from "../e2e/stowage.js";
import { backupDataFinalizer, syncBackupDeletion, type BackupDeletionContext } from "./gc.js";
import { backupResource, backupStorageLocationResource, restoreResource } from "./resources.js";

const namespace = "stowage-backup";

async function world(t: TestContext) {
  const stowage = await startStowage(t, { store: "memory" });
  const admin = createClient(stowage.transport());
  await admin.namespaces.create({ metadata: { name: namespace } });
  const client = createClient(stowage.transport(serviceAccountUserInfo("kube-system", "backup-controller")));
  const stop = new AbortController();
  t.after(() => stop.abort());
  // Quiet: the informers may see the store close before the test's abort reaches them.
  const informers = createInformerFactory(client, { log: () => undefined });
  const ctx: BackupDeletionContext & { clock: Date; requeued: number[] } = {
    client,
    backups: informers.informerFor(client.resource(backupResource)),
    restores: informers.informerFor(client.resource(restoreResource)),
    log: () => undefined,
    clock: new Date(),
    requeued: [],
    now: () => ctx.clock,
    requeueAfter: (_key, ms) => ctx.requeued.push(ms),
  };
  informers.start(stop.signal);
  const backups = admin.resource(backupResource);
  /** A backup made and finished as the backup controller would leave it. */
  const finished = async (name: string, expiration: string, location?: string) => {
    const made = await backups.create({
      apiVersion: "backup.stowage.dev/v1",
      kind: "Backup",
      metadata: { name, namespace },
      spec: { includedNamespaces: ["shop"], ...(location ? { storageLocation: location } : {}) },
    });
    return backups.updateStatus({ ...made, status: { phase: "Completed", expiration } });
  };
  const get = (name: string) => backups.get(namespace, name).catch(() => undefined);
  const sync = (backup: Backup) => syncBackupDeletion(ctx, keyOf(backup));
  return { admin, ctx, finished, get, sync };
}

test("a finished backup is held by the data finalizer, and left until its expiration", async (t) => {
  const { ctx, finished, get, sync } = await world(t);
  const expiration = new Date(Date.now() + 30 * 24 * 3_600_000).toISOString();
  const backup = await finished("monthly", expiration);
  await sync(backup);
  assert.deepEqual((await get("monthly"))?.metadata.finalizers, [backupDataFinalizer]);
  await sync(backup);
  assert.ok(await get("monthly"), "not expired: kept");
  assert.equal(ctx.requeued.at(-1), 3_600_000, "comes back within the hour, never on a timer past 2^31 ms");
});

test("a running backup gets no finalizer: its own sync still writes it", async (t) => {
  const { admin, get, sync } = await world(t);
  const made = await admin.resource(backupResource).create({
    apiVersion: "backup.stowage.dev/v1",
    kind: "Backup",
    metadata: { name: "running", namespace },
    spec: {},
  });
  await sync(made);
  assert.equal((await get("running"))?.metadata.finalizers, undefined);
});

test("a read-only location's backups do not expire here, and a deleted one leaves its data alone", async (t) => {
  const { admin, ctx, finished, get, sync } = await world(t);
  await admin.secrets.create({ metadata: { name: "repo", namespace }, stringData: { password: "x" } });
  await admin.resource(backupStorageLocationResource).create({
    apiVersion: "backup.stowage.dev/v1",
    kind: "BackupStorageLocation",
    metadata: { name: "theirs", namespace },
    spec: {
      provider: "restic",
      objectStorage: { bucket: "/nonexistent/restic-repo" },
      credential: { name: "repo", key: "password" },
      accessMode: "ReadOnly",
    },
  });
  const backup = await finished("old", "2026-01-01T00:00:00Z", "theirs");
  ctx.clock = new Date("2026-01-02T00:00:00Z");
  await sync(backup); // the finalizer
  await sync(backup); // expired, but another cluster's to expire: kept
  assert.equal((await get("old"))?.metadata.deletionTimestamp, undefined);

  await admin.resource(backupResource).delete(namespace, "old");
  await sync(backup); // phase Deleting
  assert.equal((await get("old"))?.status?.phase, "Deleting");
  await sync(backup); // read-only: no restic at all (the repository is not even there), the finalizer comes off
  assert.equal(await get("old"), undefined);
});
