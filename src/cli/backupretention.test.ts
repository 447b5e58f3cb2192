// Velero's TTL, as users see it: a backup whose --ttl runs out is deleted with its data (restic forget + prune:
// data no other backup holds leaves the repository), and the backup kept still restores byte for byte. Real
// snapshots, restic and mover pods under runtime process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startBackupWorld, sumsScript } from "../e2e/backupworld.js";

test("an expired backup leaves with its data, while the backup kept still restores", async (t) => {
  const w = await startBackupWorld(t);
  const keep = await w.stowage("backup", "create", "keep", "--include-namespaces", "shop", "--wait");
  assert.equal(keep.code, 0, keep.stderr + keep.stdout);

  // The second backup holds 2 MiB that the first does not; its TTL may run out before `--wait` could see it
  // Completed, so a watch started first tells what it became.
  await w.run("extra", "head -c 2097152 /dev/urandom > /data/extra.bin");
  const withKeep = await w.rawBytes();
  const columns = "custom-columns=NAME:.metadata.name,PHASE:.status.phase,ADDED:.status.progress.bytesAdded";
  const watch = w.s.kubectlBackground("get", "backups", "-n", "stowage-backup", "-w", "-o", columns);
  t.after(() => watch.stop());
  const brief = await w.stowage("backup", "create", "brief", "--include-namespaces", "shop", "--ttl", "15s");
  assert.equal(brief.code, 0, brief.stderr + brief.stdout);

  // brief expires: gone from the API, its snapshots gone from the repository, and the 2 MiB only it held pruned.
  await w.gone("brief");
  const completed = /^brief\s+Completed\s+(\d+)\s*$/m.exec(watch.output());
  assert.ok(completed, `brief completed before it expired:\n${watch.output()}`);
  assert.ok(Number(completed[1]) > 2 << 20, "brief added the 2 MiB to the repository");
  assert.equal(await w.snapshotsOf("brief"), 0);
  const after = await w.rawBytes();
  assert.ok(after < withKeep + (64 << 10), `pruning freed what only brief held: ${withKeep} → ${after} bytes`);
  t.diagnostic(
    `repository ${withKeep} bytes with keep, ${Number(completed[1])} added by brief, ${after} after it expired`,
  );

  await w.s.kubectl("delete", "namespace", "shop", "--timeout=60s");
  const restored = await w.stowage("restore", "create", "keep-back", "--from-backup", "keep", "--wait");
  assert.equal(restored.code, 0, restored.stderr + restored.stdout);
  assert.equal(await w.run("reader", sumsScript), w.sums);
});
