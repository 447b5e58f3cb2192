// Backup hooks under runtime process: a pod's pre hook runs (through pods/exec) before its claim is snapshotted,
// so the restored volume holds what the hook wrote; its post hook runs after, so the restored volume does not;
// and a pre hook that fails with on-error Fail fails the backup, naming the pod and the hook, before any snapshot.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startProcessStowage } from "../e2e/processruntime.js";
import { runStowage } from "../e2e/agentprocess.js";
import { createLocalBackupLocation } from "../e2e/backuplocation.js";
import { shopWithClaim } from "../e2e/backupworld.js";

const shop = `${shopWithClaim}---
apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: shop
  annotations:
    # Velero's own annotation names, as users copy them from Velero's documentation
    pre.hook.backup.velero.io/command: '["sh", "-c", "echo frozen > /data/marker; sync"]'
    pre.hook.backup.velero.io/container: main
    post.hook.backup.velero.io/command: '["sh", "-c", "echo thawed > /data/thawed"]'
    post.hook.backup.velero.io/timeout: 20s
spec:
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'echo data > /data/orders; exec sleep 3600']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: orders}}]
`;

test("a pod's pre hook runs before its claim's snapshot and its post hook after; a failing pre hook fails the backup", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-backup-hooks-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startProcessStowage(t);
  const connect = ["--kubeconfig", s.kubeconfig];
  await s.apply(shop);
  await s.kubectl("wait", "-n", "shop", "pod/db", "--for=condition=Ready", "--timeout=60s");
  await createLocalBackupLocation(dir, s.kubeconfig, "hooked");

  const backup = await runStowage(["backup", "create", "hooked", "--include-namespaces", "shop", "--wait", ...connect]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  const hookStatus = await s.kubectl(
    "get",
    "backup",
    "hooked",
    "-n",
    "stowage-backup",
    "-o",
    "jsonpath={.status.hookStatus.hooksAttempted}/{.status.hookStatus.hooksFailed}",
  );
  assert.equal(hookStatus, "2/0", "one pre and one post hook, neither failed");
  // The post hook ran on the live volume, after the snapshot.
  assert.equal(await s.kubectl("exec", "-n", "shop", "db", "--", "cat", "/data/thawed"), "thawed\n");

  const restore = await runStowage([
    "restore",
    "create",
    "hooked-copy",
    "--from-backup",
    "hooked",
    "--namespace-mappings",
    "shop:shop-copy",
    "--wait",
    ...connect,
  ]);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  await s.kubectl("wait", "-n", "shop-copy", "pod/db", "--for=condition=Ready", "--timeout=60s");
  const restored = await s.kubectl("exec", "-n", "shop-copy", "db", "--", "sh", "-c", "cat /data/marker; ls /data");
  assert.equal(
    restored,
    "frozen\nmarker\norders\n",
    "the pre hook's output is in the snapshot, the post hook's is not",
  );

  // Velero's annotations lose to ours when both are there: this pre hook fails, and on-error is Fail by default.
  await s.kubectl(
    "annotate",
    "-n",
    "shop",
    "pod/db",
    `pre.hook.backup.stowage.dev/command=["sh", "-c", "echo no >&2; exit 3"]`,
  );
  const failed = await runStowage([
    "backup",
    "create",
    "refused",
    "--include-namespaces",
    "shop",
    "--wait",
    ...connect,
  ]);
  assert.notEqual(failed.code, 0, failed.stdout);
  const reason = await s.kubectl(
    "get",
    "backup",
    "refused",
    "-n",
    "stowage-backup",
    "-o",
    "jsonpath={.status.phase}: {.status.failureReason}",
  );
  assert.equal(
    reason,
    "Failed: pre hook <from-annotation> in container main of pod shop/db failed: command terminated with exit code 3: no",
  );
  assert.equal(await s.kubectl("get", "volumesnapshots", "-n", "shop", "-o", "name"), "", "no snapshot was taken");
});
