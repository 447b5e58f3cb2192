// The seeds' mysql StatefulSet, backed up with its claims' data and restored after its namespace is gone: the
// volumeClaimTemplates' claims come back (with their data) before the StatefulSet, so each pod finds its own.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startProcessStowage } from "../e2e/processruntime.js";
import { runStowage } from "../e2e/agentprocess.js";
import { createLocalBackupLocation } from "../e2e/backuplocation.js";

const stowage = (args: string[]) => runStowage(args, 180_000);

// Each replica writes its own files once (its name, and data of its own), then serves.
const mysql = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: mysql, namespace: shop}
spec:
  serviceName: mysql
  replicas: 3
  selector: {matchLabels: {app: mysql}}
  template:
    metadata: {labels: {app: mysql}}
    spec:
      containers:
        - name: mysql
          image: mysql:8.0
          command: [sh, -c, '[ -f /var/lib/mysql/owner ] || { echo $POD > /var/lib/mysql/owner; head -c 262144 /dev/urandom > /var/lib/mysql/ibdata1; }; sleep 3600']
          env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
          volumeMounts: [{name: data, mountPath: /var/lib/mysql}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 64Mi}}
`;

const sums = async (s: Awaited<ReturnType<typeof startProcessStowage>>) => {
  const out: string[] = [];
  for (const i of [0, 1, 2]) {
    out.push(
      await s.kubectl(
        "exec",
        "-n",
        "shop",
        `mysql-${i}`,
        "--",
        "sha256sum",
        "/var/lib/mysql/owner",
        "/var/lib/mysql/ibdata1",
      ),
    );
    out.push(await s.kubectl("exec", "-n", "shop", `mysql-${i}`, "--", "cat", "/var/lib/mysql/owner"));
  }
  return out;
};

test("the seeds' mysql StatefulSet comes back from a backup with each replica on its own claim's data", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-backup-sts-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startProcessStowage(t);
  await s.apply(mysql);
  await s.kubectl("rollout", "status", "-n", "shop", "statefulset/mysql", "--timeout=120s");
  const before = await sums(s);
  assert.deepEqual([before[1], before[3], before[5]], ["mysql-0\n", "mysql-1\n", "mysql-2\n"]);
  const connect = ["--kubeconfig", s.kubeconfig];
  await createLocalBackupLocation(dir, s.kubeconfig, "mysql");
  const backup = await stowage(["backup", "create", "mysql", "--include-namespaces", "shop", "--wait", ...connect]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);

  await s.kubectl("delete", "namespace", "shop", "--timeout=120s");
  const restore = await stowage(["restore", "create", "mysql", "--from-backup", "mysql", "--wait", ...connect]);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  for (const i of [0, 1, 2])
    assert.match(restore.stdout, new RegExp(`Created persistentvolumeclaims shop/data-mysql-${i}\\n`));
  assert.match(restore.stdout, /Created statefulsets.apps shop\/mysql\n/);
  await s.kubectl("rollout", "status", "-n", "shop", "statefulset/mysql", "--timeout=120s");
  assert.deepEqual(await sums(s), before, "every replica runs on byte-identical data of its own");
  const claims = await s.kubectl(
    "get",
    "pvc",
    "-n",
    "shop",
    "-o",
    "custom-columns=NAME:.metadata.name,STATUS:.status.phase",
    "--no-headers",
  );
  assert.match(claims, /^data-mysql-0\s+Bound\ndata-mysql-1\s+Bound\ndata-mysql-2\s+Bound\n$/);
});
