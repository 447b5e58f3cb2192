// A backup that fails leaves nothing of its data mover behind: no snapshot, no temporary claim, no mover pod and
// no copy of the repository password beside the claim.
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
metadata: {name: writer, namespace: shop}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'echo order > /data/order']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: orders}}]
`;

test("a backup whose snapshot fails is Failed and leaves no mover objects or password copy behind", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-backup-failure-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startProcessStowage(t);
  const connect = ["--kubeconfig", s.kubeconfig];
  await s.apply(shop);
  // The class binds on first use: the writer's run binds the claim.
  await s.kubectl("wait", "-n", "shop", "pod/writer", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s");
  // No VolumeSnapshotClass: the claim's snapshot cannot be taken.
  await s.kubectl("delete", "volumesnapshotclasses", "--all");
  await createLocalBackupLocation(dir, s.kubeconfig, "failing");
  const backup = await runStowage(["backup", "create", "doomed", "--include-namespaces", "shop", "--wait", ...connect]);
  assert.notEqual(backup.code, 0, backup.stdout);
  const status = [
    "get",
    "backup",
    "doomed",
    "-n",
    "stowage-backup",
    "-o",
    "jsonpath={.status.phase}: {.status.failureReason}",
  ];
  assert.match(await s.kubectl(...status), /^Failed: snapshot shop\/doomed-orders: /);
  const left = [
    "get",
    "pods,pvc,volumesnapshots,secrets",
    "-n",
    "shop",
    "-l",
    "backup.stowage.dev/data-mover",
    "-o",
    "name",
  ];
  assert.equal(await s.kubectl(...left), "");
  assert.match(
    await s.kubectl("get", "pvc", "orders", "-n", "shop"),
    /^orders\s+Bound\s/m,
    "the claim itself is untouched",
  );
});
