// Velero's verbs on a backup and a schedule: `backup describe` (phase, namespaces, each claim's bytes, times,
// expiration), `backup logs`, `backup delete [--confirm]` (the data goes with it), `schedule create`, and
// kubectl-shaped errors for a name that is not there or a schedule that is no cron expression.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startBackupWorld } from "../e2e/backupworld.js";

const notFound = 'Error from server (NotFound): backups.backup.stowage.dev "nope" not found\n';

test("a backup is described, its run told, and deleted with its data; a schedule is made", async (t) => {
  const w = await startBackupWorld(t);
  const keep = await w.stowage("backup", "create", "keep", "--include-namespaces", "shop", "--wait");
  assert.equal(keep.code, 0, keep.stderr + keep.stdout);

  const [described, logs, scheduled, badSchedule, ...missing] = await Promise.all([
    w.stowage("backup", "describe", "keep"),
    w.stowage("backup", "logs", "keep"),
    w.stowage(
      ...["schedule", "create", "nightly", "--schedule", "@every 24h", "--ttl", "720h"],
      ...["--include-namespaces", "shop", "--selector", "app=shop"],
    ),
    w.stowage("schedule", "create", "sometimes", "--schedule", "every day"),
    w.stowage("backup", "describe", "nope"),
    w.stowage("backup", "logs", "nope"),
    w.stowage("backup", "delete", "nope", "--confirm"),
  ]);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, /^Phase: {2}Completed$/m);
  assert.match(described.stdout, /^ {2}Included: {2}shop$/m);
  assert.match(described.stdout, /^Expiration: {2}\d{4}-\d\d-\d\dT/m);
  assert.match(described.stdout, /^ {2}shop\/orders: 1048582 bytes \(restic snapshot [0-9a-f]{8}\)$/m);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(
    logs.stdout,
    /level=info msg="Backed up the data of claim shop\/orders to restic snapshot [0-9a-f]{8}" backup=stowage-backup\/keep/,
  );
  assert.match(logs.stdout, /msg="Backup completed with status: Completed"/);
  assert.equal(scheduled.code, 0, scheduled.stderr);
  assert.equal(scheduled.stdout, 'Schedule "nightly" created successfully.\n');
  assert.equal(
    await w.s.kubectl("get", "schedules", "-n", "stowage-backup", "nightly", "-o", "jsonpath={.spec.template.ttl}"),
    "720h",
  );
  assert.equal(badSchedule.code, 1);
  assert.match(
    badSchedule.stderr,
    /^Error from server \(Invalid\): Schedule.backup.stowage.dev "sometimes" is invalid: spec.schedule: Invalid value: "every day": expected exactly 5 fields/,
  );
  for (const result of missing) assert.deepEqual([result.code, result.stderr], [1, notFound]);

  const unconfirmed = await w.stowage("backup", "delete", "keep");
  assert.equal(unconfirmed.code, 2, "without --confirm nothing is deleted");
  assert.match(unconfirmed.stderr, /run again with --confirm/);
  const confirmed = await w.stowage("backup", "delete", "keep", "--confirm");
  assert.equal(confirmed.code, 0, confirmed.stderr);
  assert.match(confirmed.stdout, /^Request to delete backup "keep" submitted successfully\.$/m);
  await w.gone("keep");
  assert.equal(await w.snapshotsOf("keep"), 0);
  assert.equal(await w.rawBytes(), 0, "nothing else held the data: the repository keeps none of it");
});
