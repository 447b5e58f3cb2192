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

  // The second backup holds 2 MiB that the first does not; its TTL runs out soon after it completes.
  await w.run("extra", "head -c 2097152 /dev/urandom > /data/extra.bin");
  const brief = await w.stowage("backup", "create", "brief", "--include-namespaces", "shop", "--ttl", "15s", "--wait");
  assert.equal(brief.code, 0, brief.stderr + brief.stdout);
  assert.ok((await w.snapshotsOf("brief")) >= 2, "the objects and the claim's data of brief are in the repository");
  const before = await w.rawBytes();

  // brief expires: gone from the API, its snapshots gone from the repository, and the 2 MiB only it held pruned.
  await w.gone("brief");
  assert.equal(await w.snapshotsOf("brief"), 0);
  const after = await w.rawBytes();
  assert.ok(before - after > 1 << 20, `pruning freed the unique data: ${before} → ${after} bytes`);
  t.diagnostic(`repository ${before} → ${after} bytes after brief expired`);

  await w.s.kubectl("delete", "namespace", "shop", "--timeout=60s");
  const restored = await w.stowage("restore", "create", "keep-back", "--from-backup", "keep", "--wait");
  assert.equal(restored.code, 0, restored.stderr + restored.stdout);
  assert.equal(await w.run("reader", sumsScript), w.sums);
});
