// Incremental backups: restic finds the unchanged chunks of a volume already in the repository, so a second
// backup after a small change moves only that change.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startProcessStowage, type ProcessStowage } from "../e2e/processruntime.js";
import { runStowage } from "../e2e/agentprocess.js";
import { createLocalBackupLocation } from "../e2e/backuplocation.js";

const stowage = (args: string[]) => runStowage(args, 180_000);

const claim = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: big, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 300Mi}}
`;

const job = (name: string, script: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '${script}']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: big}}]
`;

async function run(s: ProcessStowage, name: string, script: string): Promise<void> {
  await s.apply(job(name, script));
  await s.kubectl("wait", `pod/${name}`, "--for=jsonpath={.status.phase}=Succeeded", "--timeout=120s");
  await s.kubectl("delete", `pod/${name}`, "--timeout=60s");
}

async function bytesAdded(s: ProcessStowage, backup: string): Promise<number> {
  const done = await stowage([
    "backup",
    "create",
    backup,
    "--include-namespaces",
    "default",
    "--wait",
    "--kubeconfig",
    s.kubeconfig,
  ]);
  assert.equal(done.code, 0, done.stderr + done.stdout);
  return Number(
    await s.kubectl("get", "backup", backup, "-n", "stowage-backup", "-o", "jsonpath={.status.progress.bytesAdded}"),
  );
}

test("after 1 MiB of a 256 MiB volume changed, the second backup moves less than 5% of the first's bytes", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-incremental-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startProcessStowage(t);
  await s.apply(claim);
  await run(s, "fill", "head -c 268435456 /dev/urandom > /data/volume.bin");
  await createLocalBackupLocation(dir, s.kubeconfig, "incremental");

  const first = await bytesAdded(s, "full");
  await run(s, "change", "dd if=/dev/urandom of=/data/volume.bin bs=1048576 count=1 seek=100 conv=notrunc");
  const second = await bytesAdded(s, "incremental");
  t.diagnostic(`first backup added ${first} bytes, second ${second} bytes (${((second / first) * 100).toFixed(2)}%)`);
  assert.ok(first > 256 << 20, `the first backup holds the whole volume (${first} bytes)`);
  assert.ok(second < first * 0.05, `the second backup moved ${second} bytes, the first ${first}`);
});
