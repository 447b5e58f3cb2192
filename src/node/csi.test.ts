// CSI volumes through the node agent, end to end: real apiserver, real hostpath driver over gRPC, real mounts.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { DRIVER_NAME } from "../e2e/parts.js";
import {
  csiClaim,
  csiDriverObject,
  deleteAllPods,
  eventually,
  findmnt,
  nodeName,
  pod,
  podEvents,
  startNodeTest,
  waitForPhase,
} from "../e2e/node.js";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

test("a pod with a CSI claim runs with the volume staged and published at the kubelet's paths, and its data outlives the pod", async (t) => {
  const node = await startNodeTest(t);
  await csiDriverObject(node);
  const { pv, handle } = await csiClaim(node, "data");
  const created = await node.client.pods.create(
    pod("writer", [{ name: "vol", persistentVolumeClaim: { claimName: "data" } }]),
  );
  const running = await waitForPhase(node, "writer", "Running");
  assert.deepEqual(
    running.status?.conditions?.map((c) => `${c.type}=${c.status}`),
    ["PodReadyToStartContainers=True", "Initialized=True", "Ready=True", "ContainersReady=True", "PodScheduled=True"],
  );
  assert.ok(running.status?.containerStatuses?.[0].state?.running, "the container shows as running");

  const staging = join(node.rootDir, "plugins/kubernetes.io/csi", DRIVER_NAME, sha256(handle), "globalmount");
  const target = join(
    node.rootDir,
    "pods",
    created.metadata.uid ?? "",
    "volumes/kubernetes.io~csi",
    pv.metadata.name ?? "",
    "mount",
  );
  assert.equal((await findmnt(staging))?.target, staging, "staged once per node at globalmount");
  assert.equal((await findmnt(target))?.target, target, "published at the pod's volume path");
  await writeFile(join(target, "hello.txt"), "written by the first pod");

  const inUse = await eventually(async () => {
    const n = await node.client.nodes.get(nodeName);
    return n.status?.volumesInUse?.length ? n.status.volumesInUse : undefined;
  });
  assert.deepEqual(inUse, [`kubernetes.io/csi/${DRIVER_NAME}^${handle}`]);

  await deleteAllPods(node);
  assert.equal(await findmnt(target), undefined, "unpublished when the pod is gone");
  assert.equal(await findmnt(staging), undefined, "unstaged when no pod uses it");

  const second = await node.client.pods.create(
    pod("reader", [{ name: "vol", persistentVolumeClaim: { claimName: "data" } }]),
  );
  await waitForPhase(node, "reader", "Running");
  const target2 = join(
    node.rootDir,
    "pods",
    second.metadata.uid ?? "",
    "volumes/kubernetes.io~csi",
    pv.metadata.name ?? "",
    "mount",
  );
  assert.equal(await readFile(join(target2, "hello.txt"), "utf8"), "written by the first pod");
  await deleteAllPods(node);
});

test("a claim mounted readOnly refuses writes", async (t) => {
  const node = await startNodeTest(t);
  await csiDriverObject(node);
  const { pv } = await csiClaim(node, "ro");
  const created = await node.client.pods.create(
    pod("ro", [{ name: "vol", persistentVolumeClaim: { claimName: "ro", readOnly: true } }]),
  );
  await waitForPhase(node, "ro", "Running");
  const target = join(
    node.rootDir,
    "pods",
    created.metadata.uid ?? "",
    "volumes/kubernetes.io~csi",
    pv.metadata.name ?? "",
    "mount",
  );
  assert.match((await findmnt(target))?.options ?? "", /^ro\b/);
  await assert.rejects(writeFile(join(target, "x"), "no"), { code: "EROFS" });
  await deleteAllPods(node);
});

test("without a CSIDriver object the pod waits for its VolumeAttachment, then runs", async (t) => {
  const node = await startNodeTest(t, { mountTimeoutMs: 1000 });
  const { pv, handle } = await csiClaim(node, "attach");
  await node.client.pods.create(pod("waits", [{ name: "vol", persistentVolumeClaim: { claimName: "attach" } }]));
  const waiting = await eventually(
    async () => (await node.client.pods.get("default", "waits")).status?.containerStatuses?.[0].state?.waiting,
  );
  assert.equal(waiting.reason, "ContainerCreating");
  assert.equal((await node.client.pods.get("default", "waits")).status?.phase, "Pending");
  const timedOut = await eventually(async () =>
    (await podEvents(node, "waits")).find((e) => e.startsWith("FailedMount: Unable to attach or mount volumes")),
  );
  assert.equal(
    timedOut,
    "FailedMount: Unable to attach or mount volumes: unmounted volumes=[vol], unattached volumes=[vol]: timed out waiting for the condition",
  );
  // The attach/detach controller creates the VolumeAttachment (named as upstream); csi-attacher would mark it
  // attached. Neither attaching is the agent's job: do the attacher's part by hand.
  const name = `csi-${sha256(`${handle}${DRIVER_NAME}${nodeName}`)}`;
  let va = await node.client.volumeAttachments.get(name).catch(() => undefined);
  va ??= await node.client.volumeAttachments.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "VolumeAttachment",
    metadata: { name },
    spec: { attacher: DRIVER_NAME, nodeName, source: { persistentVolumeName: pv.metadata.name } },
  });
  await node.client.volumeAttachments.updateStatus({ ...va, status: { attached: true } });
  await waitForPhase(node, "waits", "Running");
  await deleteAllPods(node);
});

test("a claim whose driver is not on this node fails to mount with the kubelet's event", async (t) => {
  const node = await startNodeTest(t);
  await csiDriverObject(node);
  await node.client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-missing" },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      claimRef: { namespace: "default", name: "missing" },
      csi: { driver: "nowhere.csi.example.com", volumeHandle: "h1" },
    },
  });
  await node.client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "missing", namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Mi" } },
      volumeName: "pv-missing",
      storageClassName: "",
    },
  });
  await node.client.csiDrivers.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: "nowhere.csi.example.com" },
    spec: { attachRequired: false },
  });
  await node.client.pods.create(pod("stuck", [{ name: "vol", persistentVolumeClaim: { claimName: "missing" } }]));
  const event = await eventually(async () =>
    (await podEvents(node, "stuck")).find((e) => e.includes("MountVolume.SetUp failed")),
  );
  assert.equal(
    event,
    'FailedMount: MountVolume.SetUp failed for volume "pv-missing" : kubernetes.io/csi: mounter.SetUpAt failed to get CSI client: driver name nowhere.csi.example.com not found in the list of registered CSI drivers',
  );
  assert.equal((await node.client.pods.get("default", "stuck")).status?.phase, "Pending");
  await deleteAllPods(node);
});

test("a claim grown by the resizer is expanded on the node: NodeExpandVolume, new capacity, FileSystemResizePending cleared", async (t) => {
  const node = await startNodeTest(t);
  await csiDriverObject(node);
  const { pv, handle } = await csiClaim(node, "grow");
  await node.client.pods.create(pod("grows", [{ name: "vol", persistentVolumeClaim: { claimName: "grow" } }]));
  await waitForPhase(node, "grows", "Running");
  // What external-resizer does: ControllerExpandVolume, the PV's new capacity, the claim waiting for the node.
  await node.driver.client.controller.ControllerExpandVolume({
    volume_id: handle,
    capacity_range: { required_bytes: 2 << 20 },
  });
  const current = await node.client.persistentVolumes.get(pv.metadata.name ?? "");
  await node.client.persistentVolumes.update({ ...current, spec: { ...current.spec, capacity: { storage: "2Mi" } } });
  const claim = await node.client.persistentVolumeClaims.get("default", "grow");
  await node.client.persistentVolumeClaims.updateStatus({
    ...claim,
    status: { ...claim.status, conditions: [{ type: "FileSystemResizePending", status: "True" }] },
  });
  const grown = await eventually(async () => {
    const c = await node.client.persistentVolumeClaims.get("default", "grow");
    return c.status?.capacity?.storage === "2Mi" ? c : undefined;
  });
  assert.deepEqual(grown.status?.conditions ?? [], []);
  assert.ok(
    (await podEvents(node, "grows")).includes(
      `FileSystemResizeSuccessful: MountVolume.NodeExpandVolume succeeded for volume "${pv.metadata.name}" ${nodeName}`,
    ),
  );
  await deleteAllPods(node);
});

test("a stage that fails without a final answer (driver unavailable) is undone once the pod is gone: nothing is left in plugins/", async (t) => {
  const node = await startNodeTest(t);
  await csiDriverObject(node);
  const { handle } = await csiClaim(node, "flaky");
  await node.driver.driver.stop(); // the driver's socket goes away: every call fails UNAVAILABLE
  await node.client.pods.create(pod("early", [{ name: "vol", persistentVolumeClaim: { claimName: "flaky" } }]));
  const event = await eventually(async () => (await podEvents(node, "early")).find((e) => e.startsWith("FailedMount")));
  assert.match(
    event,
    /^FailedMount: MountVolume\.MountDevice failed for volume "pv-flaky" : rpc error: code = Unavailable/,
  );
  await node.client.pods.delete("default", "early");
  await node.driver.restart();
  const deviceDir = join(node.rootDir, "plugins/kubernetes.io/csi", DRIVER_NAME, sha256(handle));
  // The driver may have staged it: the agent unstages it (NodeUnstageVolume) and removes the staging directory.
  await eventually(async () => ((await stat(deviceDir).catch(() => undefined)) ? undefined : true), 15_000);
  await eventually(async () =>
    (await node.client.pods.list({ namespace: "default" })).items.length === 0 ? true : undefined,
  );
});
