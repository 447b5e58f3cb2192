// `stowage controller-manager` as its own process runs the snapshot controller with the other loops: with only a
// csi-snapshotter sidecar beside it (no `--snapshot-controller`, no `up`), a VolumeSnapshot of a bound claim gets its
// VolumeSnapshotContent and becomes readyToUse, as `kubectl get volumesnapshot` shows; a claim patched bigger gets
// the expand controller's ExternalExpanding event; a backup Schedule makes its Backups.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { createClient } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { startDriver, DRIVER_NAME } from "../csi/drivers/hostpath/index.js";
import { startSnapshotter } from "../csi/sidecars/snapshotter/controller.js";
import { eventually, startStowage } from "../e2e/stowage.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

const manifests = (volumeHandle: string) => `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: expandable }
provisioner: ${DRIVER_NAME}
allowVolumeExpansion: true
---
apiVersion: v1
kind: PersistentVolume
metadata: { name: data-pv }
spec:
  capacity: { storage: 1Mi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: expandable
  claimRef: { namespace: default, name: data }
  csi: { driver: ${DRIVER_NAME}, volumeHandle: ${volumeHandle} }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: default }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: expandable
  volumeName: data-pv
  resources: { requests: { storage: 1Mi } }
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: { name: snaps }
driver: ${DRIVER_NAME}
deletionPolicy: Delete
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: { name: snap, namespace: default }
spec:
  volumeSnapshotClassName: snaps
  source: { persistentVolumeClaimName: data }
`;

test("stowage controller-manager runs the snapshot, expand and backup controllers", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-controller-manager-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startStowage(t);
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driver = await startDriver({ endpoint, nodeId: "n1", stateDir: join(dir, "state"), log: () => undefined });
  t.after(() => driver.stop());
  const csi = await CsiClient.connect(endpoint);
  t.after(() => csi.close());
  const abort = new AbortController();
  const sidecar = await startSnapshotter({
    client: createClient(s.transport()),
    csi,
    signal: abort.signal,
    log: () => undefined,
  });
  t.after(async () => {
    abort.abort();
    await sidecar.stop();
  });
  const volume = await csi.controller.CreateVolume({
    name: "data",
    capacity_range: { required_bytes: String(1 << 20) },
    volume_capabilities: [{ access_mode: { mode: "SINGLE_NODE_WRITER" }, mount: {} }],
  });

  const child = spawn(process.execPath, ["--import", "tsx", main, "controller-manager", "--kubeconfig", s.kubeconfig], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });

  const applied = await s.kubectlResult(["apply", "-f", "-"], { input: manifests(volume.volume?.volume_id ?? "") });
  assert.equal(applied.code, 0, applied.stderr);
  await s.kubectl("wait", "pvc/data", "--for=jsonpath={.status.phase}=Bound", "--timeout=30s");
  await s.kubectl("wait", "volumesnapshot/snap", "--for=jsonpath={.status.readyToUse}=true", "--timeout=30s");
  const snapshot = JSON.parse(await s.kubectl("get", "volumesnapshot", "snap", "-o", "json")) as {
    metadata: { uid: string };
    status: { boundVolumeSnapshotContentName: string };
  };
  assert.equal(snapshot.status.boundVolumeSnapshotContentName, `snapcontent-${snapshot.metadata.uid}`);
  assert.match(
    await s.kubectl("get", "volumesnapshot", "snap"),
    /^snap\s+true\s+data\s+1Mi\s+snaps\s+snapcontent-\S+\s+\S+\s+\S+\s*$/m,
  );

  await s.kubectl("patch", "pvc", "data", "-p", '{"spec":{"resources":{"requests":{"storage":"2Mi"}}}}');
  await eventually(async () => {
    const described = await s.kubectl("describe", "pvc", "data");
    return /Normal\s+ExternalExpanding\s+\S+\s+volume_expand\s+waiting for an external controller to expand this PVC/.test(
      described,
    )
      ? true
      : undefined;
  }, 20_000);

  // The backup controller is one of its loops: a Schedule runs (no location: each backup ends FailedValidation).
  const schedule = `
apiVersion: v1
kind: Namespace
metadata: { name: stowage-backup }
---
apiVersion: backup.stowage.dev/v1
kind: Schedule
metadata: { name: often, namespace: stowage-backup }
spec: { schedule: "@every 1s", template: { includedNamespaces: [default] } }
`;
  const scheduled = await s.kubectlResult(["apply", "-f", "-"], { input: schedule });
  assert.equal(scheduled.code, 0, scheduled.stderr);
  const backup = await eventually(async () => {
    const list = await s.kubectl(
      "get",
      "backups",
      "-n",
      "stowage-backup",
      "-l",
      "backup.stowage.dev/schedule-name=often",
      "-o",
      "name",
    );
    return list.trim().split("\n").filter(Boolean)[0];
  }, 30_000);
  assert.match(backup, /^backup\.backup\.stowage\.dev\/often-\d{14}$/);
  await s.kubectl(
    "wait",
    "-n",
    "stowage-backup",
    backup,
    "--for=jsonpath={.status.phase}=FailedValidation",
    "--timeout=30s",
  );

  child.kill("SIGTERM");
  assert.equal(await exited, 0, stderr);
});
