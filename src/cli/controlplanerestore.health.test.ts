// Issue 18's last promise: after a control-plane restore, objects whose volumes are gone say so in events. Two
// claims are bound and used; the control plane is backed up; claim B is deleted (its Delete reclaim removes the
// driver's volume); stowage is stopped and the backup restored over its data dir, as an operator recovers a lost
// or damaged store: the drivers' state on disk is today's, the API objects are the backup's. On the next `up`,
// A stays Bound and is quiet, while B's PV is back and csi-external-health-monitor-controller, asking the driver,
// warns on claim B (VolumeConditionAbnormal, naming the volume handle). Nothing is deleted to "fix" it.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Event, PersistentVolume, PersistentVolumeClaim } from "../api/core/types.js";
import { loadKubeconfig } from "../client/index.js";
import { CsiClient } from "../csi/client.js";
import { unmountUnder } from "../e2e/mounts.js";
import { eventually, startStowage, type Stowage } from "../e2e/stowage.js";
import { backupControlPlane, restoreControlPlane, storeFileOf } from "./controlplanebackup.js";
import { nodeName } from "./storage.js";
import { defaultUpComponents } from "./up.js";

const claimAndPod = (name: string) => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: pod-${name}}
spec:
  containers: [{name: app, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: ${name}}}]
`;

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

const abnormalEvents = async (s: Stowage, claim: string) =>
  (
    await getJson<{ items: Event[] }>(
      s,
      "events",
      "--field-selector",
      `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${claim},reason=VolumeConditionAbnormal`,
    )
  ).items;

test("after a control-plane restore, a claim whose volume is gone gets a VolumeConditionAbnormal warning and one whose volume exists stays Bound and quiet", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const dir = await mkdtemp(join(tmpdir(), "stowage-restore-health-"));
  const dataDir = join(dir, "data");
  const started: Stowage[] = [];
  t.after(async () => {
    for (const s of started) await s.stop();
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
  });
  const up = async () => {
    const s = await startStowage(t, { dataDir, components: defaultUpComponents({ nodes: 1 }) });
    started.push(s);
    return s;
  };

  const first = await up();
  for (const name of ["a", "b"]) {
    const applied = await first.kubectlResult(["apply", "-f", "-"], { input: claimAndPod(name) });
    assert.equal(applied.code, 0, applied.stderr);
  }
  for (const name of ["a", "b"])
    await first.kubectl("wait", `pod/pod-${name}`, "--for=condition=Ready", "--timeout=60s");
  const volumeOf = async (claim: string) => {
    const bound = await getJson<PersistentVolumeClaim>(first, "pvc", claim);
    assert.equal(bound.status?.phase, "Bound");
    return getJson<PersistentVolume>(first, "pv", bound.spec.volumeName!);
  };
  const [volumeA, volumeB] = [await volumeOf("a"), await volumeOf("b")];
  const handleB = volumeB.spec.csi!.volumeHandle;
  const driverDirB = join(dataDir, "csi", "hostpath", nodeName(1), "volumes", handleB);
  assert.ok(existsSync(driverDirB), `B's volume is a directory of the driver: ${driverDirB}`);

  const backup = await backupControlPlane(loadKubeconfig(first.kubeconfig), join(dir, "control-plane.db"));

  // After the backup, B goes away for real: its pod, its claim, and (reclaimPolicy Delete) the driver's volume.
  await first.kubectl("delete", "pod", "pod-b", "--timeout=60s");
  await first.kubectl("delete", "pvc", "b", "--timeout=60s");
  await eventually(
    async () =>
      (await first.kubectlResult(["get", "pv", volumeB.metadata.name!])).code !== 0 && !existsSync(driverDirB)
        ? true
        : undefined,
    60_000,
  );
  await first.stop();

  // `stowage restore control-plane` refuses a data dir that has a store ("remove that store first"): the operator
  // does, and restores into the same data dir so the drivers' state there is the one the cluster runs on.
  for (const suffix of ["", "-wal", "-shm"]) await rm(storeFileOf(dataDir) + suffix, { force: true });
  restoreControlPlane(backup.file, dataDir);

  const second = await up();
  // B's PV is back from the backup, still Bound to B, and nothing deletes it; the monitor's warning says why it
  // cannot serve: the driver has no such volume.
  const warned = await eventually(async () => {
    const events = await abnormalEvents(second, "b");
    return events.length > 0 ? events : undefined;
  }, 60_000);
  assert.equal(warned[0].type, "Warning");
  assert.equal(warned[0].message, `Volume not found: ${handleB}`);
  assert.equal(warned[0].source?.component, "csi-pv-monitor-controller-hostpath.csi.stowage.dev");
  const restoredB = await getJson<PersistentVolume>(second, "pv", volumeB.metadata.name!);
  assert.equal(restoredB.spec.csi?.volumeHandle, handleB);
  assert.equal(restoredB.status?.phase, "Bound");

  // A's volume exists: A stays Bound to it, and the same ListVolumes round that warned on B found A healthy.
  const claimA = await getJson<PersistentVolumeClaim>(second, "pvc", "a");
  assert.equal(claimA.status?.phase, "Bound");
  assert.equal(claimA.spec.volumeName, volumeA.metadata.name);
  assert.deepEqual(await abnormalEvents(second, "a"), []);
  // …which is what the driver says of it when asked directly.
  const csi = await CsiClient.connect(`unix://${join(dataDir, "csi", `hostpath-${nodeName(1)}.sock`)}`);
  t.after(() => csi.close());
  const got = await csi.controller.ControllerGetVolume({ volume_id: volumeA.spec.csi!.volumeHandle });
  assert.equal(got.status?.volume_condition?.abnormal, false);
  assert.ok(existsSync(join(dataDir, "csi", "hostpath", nodeName(1), "volumes", volumeA.spec.csi!.volumeHandle)));
});
