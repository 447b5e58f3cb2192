// Consistency under write: the backup reads a CSI snapshot, never the live volume, so a file being appended to
// comes back as a prefix of what it became (no torn middle), while the writer keeps writing. On the block driver:
// its snapshot is a copy of the whole device, crash-consistent; the hostpath driver's is a tar of a directory,
// which refuses a file that changes while it is read.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startProcessStowage, type ProcessStowage } from "../e2e/processruntime.js";
import { blockUnavailableReason } from "./storage.js";
import { runStowage } from "../e2e/agentprocess.js";
import { createLocalBackupLocation } from "../e2e/backuplocation.js";

const stowage = runStowage;

const manifest = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: journal, namespace: shop, labels: {app: journal}}
spec:
  storageClassName: block
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: appender, namespace: shop}
spec:
  containers:
    - name: main
      image: busybox
      # A pause every 100 entries keeps the 64Mi volume from filling up (a full disk tears the last write).
      command: [sh, -c, 'i=0; while true; do echo "entry $i of the journal" >> /data/journal; i=$((i+1)); if [ $((i % 100)) -eq 0 ]; then sleep 0.05; fi; done']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: journal}}]
`;

const reader = (namespace: string, script: string) => `
apiVersion: v1
kind: Pod
metadata: {name: reader, namespace: ${namespace}}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '${script}']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: journal}}]
`;

async function read(s: ProcessStowage, namespace: string, script: string): Promise<string> {
  await s.apply(reader(namespace, script));
  await s.kubectl("wait", "-n", namespace, "pod/reader", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=60s");
  const out = await s.kubectl("logs", "-n", namespace, "reader");
  await s.kubectl("delete", "-n", namespace, "pod/reader", "--timeout=60s");
  return out.trim();
}

test("a file appended to during the backup is restored as a prefix of what it became", async (t) => {
  const unavailable = await blockUnavailableReason();
  if (unavailable) return t.skip(unavailable);
  const dir = await mkdtemp(join(tmpdir(), "stowage-consistency-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startProcessStowage(t);
  await s.apply(manifest);
  await s.kubectl("wait", "-n", "shop", "pod/appender", "--for=condition=Ready", "--timeout=60s");
  await createLocalBackupLocation(dir, s.kubeconfig, "consistent");
  // Only the claim (by label): the appender itself must not come back and write on.
  const backup = await stowage([
    "backup",
    "create",
    "journal",
    "--include-namespaces",
    "shop",
    "--selector",
    "app=journal",
    "--wait",
    "--kubeconfig",
    s.kubeconfig,
  ]);
  assert.equal(backup.code, 0, backup.stderr + backup.stdout);
  await s.kubectl("delete", "-n", "shop", "pod/appender", "--timeout=60s");

  const restore = await stowage([
    "restore",
    "create",
    "journal",
    "--from-backup",
    "journal",
    "--namespace-mappings",
    "shop:shop-copy",
    "--wait",
    "--kubeconfig",
    s.kubeconfig,
  ]);
  assert.equal(restore.code, 0, restore.stderr + restore.stdout);
  assert.doesNotMatch(restore.stdout, /pods/);
  const [size, restoredSum] = (await read(s, "shop-copy", "wc -c < /data/journal; sha256sum < /data/journal")).split(
    /\s+/,
  );
  assert.ok(Number(size) > 0, "the restored journal has entries");
  const lastLine = await read(s, "shop-copy", "tail -n 1 /data/journal");
  assert.match(lastLine, /^entry \d+ of the journal$/, "the restored journal ends on a whole entry or a clean cut");
  const finalSize = Number(await read(s, "shop", "wc -c < /data/journal"));
  assert.ok(finalSize > Number(size), "the writer went on after the snapshot");
  const prefixSum = (await read(s, "shop", `head -c ${size} /data/journal | sha256sum`)).split(/\s+/)[0];
  assert.equal(prefixSum, restoredSum, "the restored journal is a prefix of the final one");
});
