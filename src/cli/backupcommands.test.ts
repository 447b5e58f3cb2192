// A claim's data through `stowage backup create` and `stowage restore create`: real snapshots, real restic, real
// mover pods under runtime process.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startProcessStowage } from "../e2e/processruntime.js";
import { runStowage } from "../e2e/agentprocess.js";
import { createLocalBackupLocation } from "../e2e/backuplocation.js";

const stowage = runStowage;

const shop = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: orders, namespace: shop, labels: {app: shop}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: writer, namespace: shop}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'head -c 1048576 /dev/urandom > /data/orders.bin && echo first > /data/note && sha256sum /data/orders.bin /data/note']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: orders}}]
`;

const reader = (namespace: string) => `
apiVersion: v1
kind: Pod
metadata: {name: reader, namespace: ${namespace}}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'cd / && sha256sum /data/orders.bin /data/note']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: orders}}]
`;

test("a namespace with a claim is backed up with its data and restored, deleted, into the same and a mapped namespace", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-backup-cli-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startProcessStowage(t);
  const connect = ["--kubeconfig", s.kubeconfig];
  await s.apply(shop);
  await s.kubectl("wait", "-n", "shop", "pod/writer", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s");
  const sums = await s.kubectl("logs", "-n", "shop", "writer");
  assert.match(sums, /orders\.bin\n.*note\n$/);
  await s.kubectl("delete", "-n", "shop", "pod/writer", "--timeout=30s");

  await createLocalBackupLocation(dir, s.kubeconfig, "correct horse battery staple");

  const backup = await stowage(["backup", "create", "shop-1", "--include-namespaces", "shop", "--wait", ...connect]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  assert.match(backup.stdout, /Backup request "shop-1" submitted successfully\.\n/);
  assert.match(backup.stdout, /Completed: \d+\/\d+ objects, 1\.0 MiB moved/);
  assert.match(
    await s.kubectl("get", "backups", "-n", "stowage-backup"),
    /^shop-1\s+Completed\s+0\s+0\s+\d+\s+\d+\s+\S+\s+\s*\S+/m,
  );
  // Nothing of the data mover is left behind: no snapshot, no copy of the claim, no pod, no password.
  assert.equal(
    await s.kubectl(
      "get",
      "pods,pvc,volumesnapshots,secrets",
      "-n",
      "shop",
      "-l",
      "backup.stowage.dev/data-mover",
      "-o",
      "name",
    ),
    "",
  );

  await s.kubectl("delete", "namespace", "shop", "--timeout=60s");
  const restored = await stowage(["restore", "create", "shop-1-back", "--from-backup", "shop-1", "--wait", ...connect]);
  assert.equal(restored.code, 0, restored.stderr + restored.stdout);
  assert.match(restored.stdout, /Created persistentvolumeclaims shop\/orders/);
  assert.match(
    restored.stdout,
    /Completed: \d+\/\d+ objects, 1\.0 MiB moved/,
    "the restore reports the bytes it wrote",
  );
  const mapped = await stowage([
    "restore",
    "create",
    "shop-1-copy",
    "--from-backup",
    "shop-1",
    "--namespace-mappings",
    "shop:shop-copy",
    "--wait",
    ...connect,
  ]);
  assert.equal(mapped.code, 0, mapped.stderr + mapped.stdout);

  for (const namespace of ["shop", "shop-copy"]) {
    await s.apply(reader(namespace));
    await s.kubectl("wait", "-n", namespace, "pod/reader", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s");
    assert.equal(await s.kubectl("logs", "-n", namespace, "reader"), sums, `${namespace}: byte-identical files`);
    assert.match(await s.kubectl("get", "pvc", "orders", "-n", namespace), /^orders\s+Bound\s+pvc-/m);
  }
});
