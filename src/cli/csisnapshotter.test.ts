// `stowage csi-snapshotter` as its own process against a running stowage: a VolumeSnapshotContent of its driver
// gets the driver's snapshot (status.snapshotHandle, readyToUse); deleted with policy Delete, the driver's snapshot
// is gone. Bad flags are refused with a message that says what to fix. Killed mid-operation, a restarted sidecar
// finishes it once (and never leaks a snapshot the driver finished for a sidecar that is gone).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import type { VolumeSnapshotContent } from "../api/snapshot/types.js";
import { CsiClient } from "../csi/client.js";
import { startDriver, DRIVER_NAME } from "../csi/drivers/hostpath/index.js";
import { createClient } from "../client/index.js";
import { startSnapshotController } from "../controllers/snapshot/controller.js";
import { startSnapshotGate } from "../csi/sidecars/snapshotter/testing/gate.js";
import { fromUrl, queueAdds, untilQueueIdle } from "../e2e/metrics.js";
import { eventually, startStowage } from "../e2e/stowage.js";

const main = fileURLToPath(new URL("./main.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

function run(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", main, "csi-snapshotter", ...args],
      { cwd: repoRoot },
      (err, _o, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stderr }),
    );
  });
}

const cases = [
  {
    name: "a CSI address that is not a unix socket",
    args: ["--csi-address", "tcp://1.2.3.4:10000", "--kubeconfig", "k"],
    want: /want unix:\/\/\/absolute\/path\/csi\.sock/,
  },
  {
    name: "no --kubeconfig",
    args: ["--csi-address", "unix:///tmp/x.sock"],
    want: /required option '--kubeconfig <file>' not specified/,
  },
  {
    name: "a kubeconfig that does not exist",
    args: ["--csi-address", "unix:///tmp/x.sock", "--kubeconfig", "/nonexistent/kubeconfig"],
    want: /error: --kubeconfig: /,
  },
];
for (const c of cases) {
  test(`stowage csi-snapshotter refuses ${c.name}`, async () => {
    const result = await run(...c.args);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, c.want);
  });
}

test("stowage csi-snapshotter cuts the snapshot of a content of its driver and deletes it once the content is marked being-deleted (Delete policy)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-csi-snapshotter-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startStowage(t);
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driver = await startDriver({ endpoint, nodeId: "n1", stateDir: join(dir, "state"), log: () => undefined });
  t.after(() => driver.stop());
  const csi = await CsiClient.connect(endpoint);
  t.after(() => csi.close());
  const volume = await csi.controller.CreateVolume({
    name: "v1",
    capacity_range: { required_bytes: String(1 << 20) },
    volume_capabilities: [{ access_mode: { mode: "SINGLE_NODE_WRITER" }, mount: {} }],
  });
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      main,
      "csi-snapshotter",
      "--csi-address",
      endpoint,
      "--kubeconfig",
      s.kubeconfig,
      "--http-endpoint",
      "127.0.0.1:0",
    ],
    { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  t.after(async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  });
  const content: VolumeSnapshotContent = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: {
      name: "snapcontent-1",
      finalizers: ["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"],
    },
    spec: {
      volumeSnapshotRef: {
        kind: "VolumeSnapshot",
        namespace: "default",
        name: "snap",
        uid: "11111111-2222-3333-4444-555555555555",
      },
      deletionPolicy: "Delete",
      driver: DRIVER_NAME,
      source: { volumeHandle: volume.volume?.volume_id ?? "" },
    },
  };
  const created = await s.kubectlResult(["apply", "-f", "-"], { input: JSON.stringify(content) });
  assert.equal(created.code, 0, created.stderr);
  await s.kubectl(
    "wait",
    "volumesnapshotcontent/snapcontent-1",
    "--for=jsonpath={.status.readyToUse}=true",
    "--timeout=30s",
  );
  const ready = JSON.parse(
    await s.kubectl("get", "volumesnapshotcontent", "snapcontent-1", "-o", "json"),
  ) as VolumeSnapshotContent;
  const handle = ready.status?.snapshotHandle ?? "";
  assert.notEqual(handle, "");
  assert.equal((await csi.controller.ListSnapshots({ snapshot_id: handle })).entries.length, 1);

  // Deleted by hand while nothing marks it being-deleted (its snapshot is not going): it stays, and so does the
  // driver's snapshot — the sidecar deletes only what the snapshot controller marked, as upstream.
  const metrics = fromUrl(await eventually(() => /^metrics at (http:\/\/\S+)$/m.exec(stdout)?.[1]));
  const addsBefore = await queueAdds(metrics, "volumesnapshotcontents");
  await s.kubectl("delete", "volumesnapshotcontent", "snapcontent-1", "--wait=false");
  // The sidecar has handled the deletion (its queue took the change and went idle): had it acted, it would have.
  await untilQueueIdle(metrics, "volumesnapshotcontents", addsBefore);
  assert.equal((await csi.controller.ListSnapshots({ snapshot_id: handle })).entries.length, 1);
  assert.match(await s.kubectl("get", "volumesnapshotcontent", "snapcontent-1", "-o", "name"), /snapcontent-1/);
  // Marked as the snapshot controller marks it when the snapshot is deleted: DeleteSnapshot, then it is gone.
  await s.kubectl(
    "annotate",
    "volumesnapshotcontent",
    "snapcontent-1",
    "snapshot.storage.kubernetes.io/volumesnapshot-being-deleted=yes",
  );
  await s.kubectl("wait", "volumesnapshotcontent/snapcontent-1", "--for=delete", "--timeout=30s");
  assert.deepEqual((await csi.controller.ListSnapshots({ snapshot_id: handle })).entries, []);
  child.kill("SIGTERM");
  assert.equal(await exited, 0);
});

test("a csi-snapshotter killed while a content waits for its snapshot finishes it once after restart", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-csi-snapshotter-crash-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startStowage(t);
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driver = await startDriver({ endpoint, nodeId: "n1", stateDir: join(dir, "state"), log: () => undefined });
  t.after(() => driver.stop());
  const csi = await CsiClient.connect(endpoint);
  t.after(() => csi.close());
  const volume = await csi.controller.CreateVolume({
    name: "v1",
    capacity_range: { required_bytes: String(1 << 20) },
    volume_capabilities: [{ access_mode: { mode: "SINGLE_NODE_WRITER" }, mount: {} }],
  });
  const volumeId = volume.volume?.volume_id ?? "";
  const start = () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", main, "csi-snapshotter", "--csi-address", endpoint, "--kubeconfig", s.kubeconfig],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    return { child, exited };
  };
  const first = start();
  // Wait until the first one is up (it prints its line), then give it the content and kill it at once.
  await new Promise<void>((resolve) => first.child.stdout?.on("data", () => resolve()));
  const content: VolumeSnapshotContent = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshotContent",
    metadata: {
      name: "snapcontent-2",
      finalizers: ["snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"],
    },
    spec: {
      volumeSnapshotRef: {
        kind: "VolumeSnapshot",
        namespace: "default",
        name: "snap",
        uid: "22222222-2222-3333-4444-555555555555",
      },
      deletionPolicy: "Delete",
      driver: DRIVER_NAME,
      source: { volumeHandle: volumeId },
    },
  };
  const created = await s.kubectlResult(["apply", "-f", "-"], { input: JSON.stringify(content) });
  assert.equal(created.code, 0, created.stderr);
  first.child.kill("SIGKILL");
  await first.exited;

  start();
  await s.kubectl(
    "wait",
    "volumesnapshotcontent/snapcontent-2",
    "--for=jsonpath={.status.readyToUse}=true",
    "--timeout=30s",
  );
  const listed = await csi.controller.ListSnapshots({ source_volume_id: volumeId });
  assert.equal(listed.entries.length, 1, "exactly one snapshot of the volume in the driver");
});

test("a csi-snapshotter SIGKILLed mid-CreateSnapshot, its snapshot deleted meanwhile: after restart the snapshot is cut once and deleted, nothing leaks", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "stowage-csi-snapshotter-midcall-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const s = await startStowage(t, { store: "memory" });
  const client = createClient(s.transport());
  const endpoint = `unix://${join(dir, "csi.sock")}`;
  const driver = await startDriver({ endpoint, nodeId: "n1", stateDir: join(dir, "state"), log: () => undefined });
  t.after(() => driver.stop());
  const csi = await CsiClient.connect(endpoint);
  t.after(() => csi.close());
  const gate = await startSnapshotGate(`unix://${join(dir, "gate.sock")}`, csi);
  t.after(() => gate.stop());
  const abort = new AbortController();
  const controller = await startSnapshotController({ client, log: () => undefined }, abort.signal);
  t.after(async () => {
    abort.abort();
    await controller.done;
  });
  const volume = await csi.controller.CreateVolume({
    name: "v1",
    capacity_range: { required_bytes: String(1 << 20) },
    volume_capabilities: [{ access_mode: { mode: "SINGLE_NODE_WRITER" }, mount: {} }],
  });
  const volumeId = volume.volume?.volume_id ?? "";
  const applied = await s.kubectlResult(["apply", "-f", "-"], {
    input: `
apiVersion: v1
kind: PersistentVolume
metadata: { name: data }
spec:
  capacity: { storage: 1Mi }
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef: { namespace: default, name: data }
  csi: { driver: ${DRIVER_NAME}, volumeHandle: ${volumeId} }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data, namespace: default }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: data
  resources: { requests: { storage: 1Mi } }
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: { name: plain }
driver: ${DRIVER_NAME}
deletionPolicy: Delete
`,
  });
  assert.equal(applied.code, 0, applied.stderr);
  // No PV binder runs here: mark the pair Bound as it would.
  const pv = await client.persistentVolumes.get("data");
  await client.persistentVolumes.updateStatus({ ...pv, status: { phase: "Bound" } });
  const pvc = await client.persistentVolumeClaims.get("default", "data");
  await client.persistentVolumeClaims.updateStatus({
    ...pvc,
    status: { phase: "Bound", capacity: { storage: "1Mi" } },
  });

  const start = () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", main, "csi-snapshotter", "--csi-address", gate.endpoint, "--kubeconfig", s.kubeconfig],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    t.after(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    });
    return { child, exited };
  };
  gate.hold(() => true);
  const first = start();
  const created = await s.kubectlResult(["apply", "-f", "-"], {
    input: `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: { name: snap, namespace: default }
spec:
  volumeSnapshotClassName: plain
  source: { persistentVolumeClaimName: data }
`,
  });
  assert.equal(created.code, 0, created.stderr);
  await gate.held();
  const snapshot = await client.volumeSnapshots.get("default", "snap");
  const contentName = `snapcontent-${snapshot.metadata.uid}`;
  const during = await client.volumeSnapshotContents.get(contentName);
  assert.equal(during.metadata.annotations?.["snapshot.storage.kubernetes.io/volumesnapshot-being-created"], "yes");
  first.child.kill("SIGKILL");
  await first.exited;

  // Deleted while the driver may still be cutting: the content waits (being-created), nothing is deleted yet.
  await s.kubectl("delete", "volumesnapshot", "snap", "--wait=false");
  await eventually(async () =>
    (await client.volumeSnapshotContents.get(contentName)).metadata.deletionTimestamp ? true : undefined,
  );
  // The driver finishes the call the killed sidecar made (its answer is lost with the sidecar).
  gate.release();
  await eventually(async () =>
    (await csi.controller.ListSnapshots({ source_volume_id: volumeId })).entries.length === 1 ? true : undefined,
  );

  start();
  await s.kubectl("wait", `volumesnapshotcontent/${contentName}`, "--for=delete", "--timeout=30s");
  await s.kubectl("wait", "volumesnapshot/snap", "--for=delete", "--timeout=30s");
  const creates = gate.calls.filter((c) => c.method === "CreateSnapshot");
  assert.equal(creates.length, 2, "the restarted sidecar asked again, by the same name");
  assert.equal(creates[0].name, creates[1].name);
  assert.equal(gate.calls.filter((c) => c.method === "DeleteSnapshot").length, 1);
  assert.deepEqual((await csi.controller.ListSnapshots({ source_volume_id: volumeId })).entries, [], "nothing leaked");
});
