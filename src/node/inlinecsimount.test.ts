// Inline CSI volumes (spec.volumes[].csi) of a driver whose CSIDriver lists Ephemeral, as the kubelet mounts them:
// NodePublishVolume with no attach or staging, a volume id made from the pod and the volume's name, the pod's
// identity in the volume context; NodeUnpublishVolume when the pod goes (the hostpath driver then deletes the
// volume); a restarted agent finds them from vol_data.json and tears down what no pod needs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { Pod } from "../api/core/types.js";
import type { CSIDriver } from "../api/storage/types.js";
import type { Lister } from "../client/index.js";
import { DRIVER_NAME } from "../e2e/parts.js";
import {
  deleteAllPods,
  eventually,
  findmnt,
  pod,
  podEvents,
  startNodeTest,
  waitForPhase,
  type NodeTest,
} from "../e2e/node.js";
import type { PluginContext } from "./plugins/context.js";
import { ephemeralVolumeContext, makeVolumeHandle } from "./plugins/csiephemeral.js";

test("an inline volume's id is upstream's makeVolumeHandle: csi- and sha256(pod UID + volume name)", () => {
  const want = createHash("sha256").update("0b5e8e4c-uidscratch").digest("hex");
  assert.equal(makeVolumeHandle("0b5e8e4c-uid", "scratch"), `csi-${want}`);
});

test("an inline volume's context: its attributes, and with podInfoOnMount the pod's identity and ephemeral true", () => {
  const driver = (podInfoOnMount: boolean): Lister<CSIDriver> => ({
    get: () => ({
      apiVersion: "storage.k8s.io/v1",
      kind: "CSIDriver",
      metadata: { name: "d" },
      spec: { podInfoOnMount },
    }),
    list: () => [],
    byIndex: () => [],
    keys: () => [],
  });
  const volume = {
    kind: "csiEphemeral" as const,
    podUid: "u1",
    outerName: "v",
    innerName: "v",
    plugin: "kubernetes.io/csi",
    source: { driver: "d", volumeAttributes: { size: "1Mi" } },
  };
  const owner: Pod = { ...pod("web", []), metadata: { name: "web", namespace: "shop", uid: "u1" } };
  const ctx = (podInfoOnMount: boolean) => ({ csiDrivers: driver(podInfoOnMount) }) as unknown as PluginContext;
  assert.deepEqual(ephemeralVolumeContext(ctx(false), volume, owner), { size: "1Mi" });
  assert.deepEqual(ephemeralVolumeContext(ctx(true), volume, owner), {
    size: "1Mi",
    "csi.storage.k8s.io/pod.name": "web",
    "csi.storage.k8s.io/pod.namespace": "shop",
    "csi.storage.k8s.io/pod.uid": "u1",
    "csi.storage.k8s.io/serviceAccount.name": "default",
    "csi.storage.k8s.io/ephemeral": "true",
  });
});

async function inlineDriver(node: NodeTest) {
  await node.client.csiDrivers.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "CSIDriver",
    metadata: { name: DRIVER_NAME },
    spec: { attachRequired: false, podInfoOnMount: true, volumeLifecycleModes: ["Persistent", "Ephemeral"] },
  });
}

const inlinePod = (name: string, attributes: Record<string, string> = {}) =>
  pod(name, [{ name: "scratch", csi: { driver: DRIVER_NAME, volumeAttributes: attributes } }]);

/** The driver's volumes: id → capacity. */
async function driverVolumes(node: NodeTest): Promise<Record<string, number>> {
  const { entries } = await node.driver.client.controller.ListVolumes({});
  return Object.fromEntries(entries.map((e) => [e.volume?.volume_id ?? "", Number(e.volume?.capacity_bytes)]));
}

const targetOf = (node: NodeTest, uid: string) =>
  join(node.rootDir, "pods", uid, "volumes", "kubernetes.io~csi", "scratch", "mount");

test("a pod's inline CSI volume is published for it, holds its data, and is deleted with it", async (t) => {
  const node = await startNodeTest(t);
  await inlineDriver(node);
  await node.client.pods.create(inlinePod("web", { size: "5Mi" }));
  const running = await waitForPhase(node, "web", "Running");
  const uid = running.metadata.uid ?? "";
  const handle = makeVolumeHandle(uid, "scratch");
  assert.deepEqual(await driverVolumes(node), { [handle]: 5 * 1024 * 1024 });
  const target = targetOf(node, uid);
  assert.ok(await findmnt(target), "the volume is mounted at the pod's csi target");
  await writeFile(join(target, "index.html"), "hello");
  assert.equal(await readFile(join(target, "index.html"), "utf8"), "hello");
  const volData: unknown = JSON.parse(await readFile(join(target, "..", "vol_data.json"), "utf8"));
  assert.deepEqual(volData, {
    driverName: DRIVER_NAME,
    volumeHandle: handle,
    specVolID: "scratch",
    nodeName: "node-1",
    stagingPath: "",
    volumeLifecycleMode: "Ephemeral",
  });
  const node1 = await node.client.nodes.get("node-1");
  assert.deepEqual(node1.status?.volumesInUse ?? [], [], "an inline volume is never attached, so never in use");

  await deleteAllPods(node);
  assert.deepEqual(await driverVolumes(node), {}, "the driver deleted the volume with the pod");
});

test("an inline volume whose nodePublishSecretRef is missing gets upstream's FailedMount and nothing is made", async (t) => {
  const node = await startNodeTest(t);
  await inlineDriver(node);
  const withSecret = inlinePod("locked");
  withSecret.spec.volumes = [
    { name: "scratch", csi: { driver: DRIVER_NAME, nodePublishSecretRef: { name: "creds" } } },
  ];
  await node.client.pods.create(withSecret);
  const event = await eventually(async () =>
    (await podEvents(node, "locked")).find((e) => e.startsWith("FailedMount")),
  );
  assert.equal(
    event,
    'FailedMount: MountVolume.SetUp failed for volume "scratch" : fetching NodePublishSecretRef default/creds ' +
      'failed: kubernetes.io/csi: failed to find the secret creds in the namespace default with error: secrets "creds" not found',
  );
  assert.deepEqual(await driverVolumes(node), {});
  // Once the secret exists the volume is published.
  await node.client.secrets.create({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "creds", namespace: "default" },
    data: { token: Buffer.from("s3cr3t").toString("base64") },
  });
  await waitForPhase(node, "locked", "Running", 20_000);
  await deleteAllPods(node);
});

test("a restarted agent tears down the inline volumes of pods deleted while it was down, and keeps the others", async (t) => {
  const node = await startNodeTest(t);
  await inlineDriver(node);
  for (const name of ["keep", "gone", "lost"]) await node.client.pods.create(inlinePod(name));
  const uid = async (name: string) => (await waitForPhase(node, name, "Running")).metadata.uid ?? "";
  const [keep, gone, lost] = [await uid("keep"), await uid("gone"), await uid("lost")];
  await writeFile(join(targetOf(node, keep), "kept"), "yes");

  await node.agent.stop();
  await node.client.pods.delete("default", "gone");
  // "lost": its unpublish reached the driver (which deleted the volume) but the agent died before recording it, so
  // the retry is answered NOT_FOUND.
  await node.driver.client.node.NodeUnpublishVolume({
    volume_id: makeVolumeHandle(lost, "scratch"),
    target_path: targetOf(node, lost),
  });
  await node.client.pods.delete("default", "lost");
  await node.startAgent();

  const podsLeft = async () => (await node.client.pods.list({ namespace: "default" })).items.length;
  await eventually(async () => ((await podsLeft()) === 1 ? true : undefined), 20_000);
  await eventually(async () => (Object.keys(await driverVolumes(node)).length === 1 ? true : undefined));
  assert.deepEqual(Object.keys(await driverVolumes(node)), [makeVolumeHandle(keep, "scratch")]);
  assert.equal(await findmnt(targetOf(node, gone)), undefined);
  assert.equal(await readFile(join(targetOf(node, keep), "kept"), "utf8"), "yes");
  await deleteAllPods(node);
  assert.deepEqual(await driverVolumes(node), {});
});
