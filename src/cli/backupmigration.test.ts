// Migration: a backup taken on one stowage is restored on a second one that shares only the backup location.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startProcessStowage } from "../e2e/processruntime.js";
import { runStowage } from "../e2e/agentprocess.js";
import { shopWithClaim } from "../e2e/backupworld.js";

const stowage = runStowage;

// The pod keeps running on its claim: the backup snapshots the claim under it, and the restore brings both back.
const shop = `${shopWithClaim}---
apiVersion: v1
kind: Pod
metadata: {name: shop, namespace: shop}
spec:
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '[ -f /data/orders.bin ] || head -c 2097152 /dev/urandom > /data/orders.bin; sha256sum /data/orders.bin > /data/sum; sleep 3600']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: orders}}]
`;

const reader = `
apiVersion: v1
kind: Pod
metadata: {name: reader, namespace: shop}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'sha256sum /data/orders.bin']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: orders}}]
`;

test("a backup restores on a second stowage that shares only the backup location: same objects, same bytes, pod Running", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-migration-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "password"), "migrate me\n");
  const location = (kubeconfig: string) => [
    "backup-location",
    "create",
    "shared",
    "--path",
    join(dir, "repo"),
    "--password-file",
    join(dir, "password"),
    "--default",
    "--kubeconfig",
    kubeconfig,
  ];

  const first = await startProcessStowage(t);
  await first.apply(shop);
  await first.kubectl("wait", "-n", "shop", "pod/shop", "--for=condition=Ready", "--timeout=60s");
  const sum = await first.kubectl("exec", "-n", "shop", "shop", "--", "cat", "/data/sum");
  assert.equal((await stowage(location(first.kubeconfig))).code, 0);
  const backup = await stowage([
    "backup",
    "create",
    "move",
    "--include-namespaces",
    "shop",
    "--wait",
    "--kubeconfig",
    first.kubeconfig,
  ]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  await first.stop();

  const second = await startProcessStowage(t);
  assert.equal((await stowage(location(second.kubeconfig))).code, 0);
  const restore = await stowage([
    "restore",
    "create",
    "move",
    "--from-backup",
    "move",
    "--wait",
    "--kubeconfig",
    second.kubeconfig,
  ]);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  assert.match(
    restore.stdout,
    /Created namespaces shop\n[\s\S]*Created persistentvolumeclaims shop\/orders\n[\s\S]*Created pods shop\/shop/,
  );
  await second.kubectl("wait", "-n", "shop", "pod/shop", "--for=condition=Ready", "--timeout=60s");
  assert.match(await second.kubectl("get", "pvc", "-n", "shop", "orders"), /^orders\s+Bound\s+pvc-/m);
  assert.equal(await second.kubectl("exec", "-n", "shop", "shop", "--", "cat", "/data/sum"), sum);
  await second.kubectl("delete", "-n", "shop", "pod/shop", "--timeout=60s");
  await second.apply(reader);
  await second.kubectl("wait", "-n", "shop", "pod/reader", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s");
  assert.equal(await second.kubectl("logs", "-n", "shop", "reader"), sum, "the restored file is byte-identical");
});
