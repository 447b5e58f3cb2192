// Schedules as Velero runs them: not at creation, then at each run after the last backup, one run at a time, never
// while paused; the backup named <schedule>-<YYYYMMDDHHMMSS> from the template, labelled with the schedule's name.
// The rounds are driven by a clock the test holds against a real secured apiserver, as the backup controller's
// ServiceAccount; the last test runs the controller on the real clock with `@every 1s`.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { Backup, Schedule } from "../api/backup/types.js";
import { serviceAccountUserInfo } from "../api/user.js";
import { createClient, createInformerFactory, keyOf, type Client } from "../client/index.js";
import { eventually, startStowage } from "../e2e/stowage.js";
import { startBackupController } from "./controller.js";
import { backupResource, scheduleNameLabel, scheduleResource } from "./resources.js";
import { nextRun, syncSchedule, timestampedName, type ScheduleSyncContext } from "./schedule.js";

const schedule = (name: string, cron: string, extra: Partial<Schedule["spec"]> = {}): Schedule => ({
  apiVersion: "backup.stowage.dev/v1",
  kind: "Schedule",
  metadata: { name, namespace: "stowage-backup", labels: { team: "shop" } },
  spec: { schedule: cron, template: { includedNamespaces: ["shop"], ttl: "24h0m0s" }, ...extra },
});

const made = (cron: string, created: string, lastBackup?: string): Schedule => {
  const s = schedule("daily", cron);
  s.metadata.creationTimestamp = created;
  if (lastBackup) s.status = { phase: "Enabled", lastBackup };
  return s;
};

const runs = [
  {
    name: "a new schedule waits for its first run after creation (no backup at once)",
    schedule: made("0 1 * * *", "2026-03-01T12:00:00Z"),
    now: "2026-03-01T12:00:05Z",
    want: { due: false, at: "2026-03-02T01:00:00.000Z" },
  },
  {
    name: "a run that has passed since the last backup is due",
    schedule: made("0 1 * * *", "2026-03-01T12:00:00Z", "2026-03-02T01:00:00Z"),
    now: "2026-03-03T01:00:01Z",
    want: { due: true, at: "2026-03-03T01:00:00.000Z" },
  },
  {
    name: "@every counts whole seconds from the last backup",
    schedule: made("@every 1m30s", "2026-03-01T12:00:00Z", "2026-03-01T12:10:00Z"),
    now: "2026-03-01T12:11:00Z",
    want: { due: false, at: "2026-03-01T12:11:30.000Z" },
  },
  {
    name: "@every under a second runs every second, as robfig/cron's",
    schedule: made("@every 10ms", "2026-03-01T12:00:00.500Z"),
    now: "2026-03-01T12:00:02Z",
    want: { due: true, at: "2026-03-01T12:00:01.000Z" },
  },
];
for (const c of runs) {
  test(c.name, () => {
    const { due, at } = nextRun(c.schedule, new Date(c.now));
    assert.deepEqual({ due, at: at.toISOString() }, c.want);
  });
}

test("a scheduled backup is named for its schedule and the run's UTC second", () => {
  assert.equal(timestampedName("nightly", new Date("2026-12-06T03:04:05.678Z")), "nightly-20261206030405");
});

async function world(t: TestContext) {
  const stowage = await startStowage(t, { store: "memory" });
  const admin = createClient(stowage.transport());
  await admin.namespaces.create({ metadata: { name: "stowage-backup" } });
  const client = createClient(stowage.transport(serviceAccountUserInfo("kube-system", "backup-controller")));
  const stop = new AbortController();
  t.after(() => stop.abort());
  return { admin, client, signal: stop.signal };
}

function clockedSync(t: TestContext, client: Client, signal: AbortSignal) {
  const informers = createInformerFactory(client);
  const backups = informers.informerFor(client.resource(backupResource));
  informers.start(signal);
  let now = new Date();
  const requeued: number[] = [];
  const ctx: ScheduleSyncContext = {
    client,
    backups,
    log: () => undefined,
    now: () => now,
    requeueAfter: (_key, ms) => requeued.push(ms),
  };
  return {
    backups,
    requeued,
    at: (time: Date) => (now = time),
    sync: (s: Schedule) => syncSchedule(ctx, keyOf(s)),
  };
}

test("a due schedule creates one backup from its template and records status.lastBackup", async (t) => {
  const { admin, client, signal } = await world(t);
  const schedules = admin.resource(scheduleResource);
  const created = await schedules.create(schedule("nightly", "@every 1h"));
  const clock = clockedSync(t, client, signal);
  const born = new Date(created.metadata.creationTimestamp ?? "");

  await clock.sync(created);
  assert.equal((await schedules.get("stowage-backup", "nightly")).status?.phase, "Enabled");
  clock.at(new Date(born.getTime() + 60_000));
  await clock.sync(created);
  assert.equal((await admin.resource(backupResource).list({ namespace: "stowage-backup" })).items.length, 0);
  assert.ok(clock.requeued.at(-1)! > 3_500_000, "comes back when the hour is up");

  const due = new Date(born.getTime() + 3_600_000 + 2_000);
  clock.at(due);
  await clock.sync(created);
  const name = timestampedName("nightly", due);
  const backup = await admin.resource(backupResource).get("stowage-backup", name);
  assert.deepEqual(backup.metadata.labels, { team: "shop", [scheduleNameLabel]: "nightly" });
  assert.deepEqual(backup.spec.includedNamespaces, ["shop"]);
  assert.equal(backup.spec.ttl, "24h0m0s");
  const after = await schedules.get("stowage-backup", "nightly");
  assert.equal(after.status?.lastBackup, due.toISOString().replace(/\.\d{3}Z$/, "Z"));

  // An hour on, the first backup is still New: Velero does not start a second one over it.
  await eventually(() => clock.backups.get(`stowage-backup/${name}`));
  const later = new Date(due.getTime() + 3_601_000);
  clock.at(later);
  await clock.sync(created);
  assert.equal((await admin.resource(backupResource).list({ namespace: "stowage-backup" })).items.length, 1);

  // Once it has finished, the next run goes ahead.
  await admin.resource(backupResource).updateStatus({ ...backup, status: { phase: "Completed" } });
  await eventually(() => clock.backups.get(`stowage-backup/${name}`)?.status?.phase === "Completed" || undefined);
  await clock.sync(created);
  const all = (await admin.resource(backupResource).list({ namespace: "stowage-backup" })).items;
  assert.deepEqual(all.map((b) => b.metadata.name).sort(), [name, timestampedName("nightly", later)]);
});

test("a paused schedule makes no backup, however overdue", async (t) => {
  const { admin, client, signal } = await world(t);
  const created = await admin.resource(scheduleResource).create(schedule("held", "@every 1s", { paused: true }));
  const clock = clockedSync(t, client, signal);
  clock.at(new Date(Date.now() + 86_400_000));
  await clock.sync(created);
  assert.equal((await admin.resource(backupResource).list({ namespace: "stowage-backup" })).items.length, 0);
});

test("the backup controller runs a schedule again and again, owning its backups when asked", async (t) => {
  const { admin, client, signal } = await world(t);
  const informers = createInformerFactory(client);
  await startBackupController({ client, informers, log: () => undefined }, signal);
  const created = await admin
    .resource(scheduleResource)
    .create(schedule("often", "@every 1s", { useOwnerReferencesInBackup: true }));
  // No location exists, so each backup ends FailedValidation at once, which lets the next run start.
  const backups = await eventually(async () => {
    const list = await admin.resource(backupResource).list({ namespace: "stowage-backup" });
    return list.items.length >= 2 ? list.items : undefined;
  }, 30_000);
  for (const backup of backups as Backup[]) {
    assert.match(backup.metadata.name ?? "", /^often-\d{14}$/);
    assert.equal(backup.metadata.ownerReferences?.[0]?.uid, created.metadata.uid);
  }
  const status = (await admin.resource(scheduleResource).get("stowage-backup", "often")).status;
  assert.equal(status?.phase, "Enabled");
  assert.ok(status?.lastBackup);
});
