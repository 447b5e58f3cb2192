// A Deployment with a ReadWriteOnce claim on an attachable volume, two nodes, and its pod moved to the other node
// (the template's nodeName changed): with the default RollingUpdate the new pod waits behind upstream's Multi-Attach
// FailedAttachVolume event while the old pod holds the volume, and the rollout wedges; with `strategy: Recreate`
// the old pod goes first, the volume is detached from the old node and attached to the new one.
// The Deployment, ReplicaSet and attach-detach controllers run against a real apiserver; the test stands in for the
// kubelets (pods Running and Ready, terminating pods removed) and users drive it with the real kubectl.
import assert from "node:assert/strict";
import { setMaxListeners } from "node:events";
import { test, type TestContext } from "node:test";
import type { Deployment } from "../../api/apps/types.js";
import type { Event, Pod } from "../../api/core/types.js";
import { createClient, createInformerFactory, type Client } from "../../client/index.js";
import { eventually, startStowage, type Stowage } from "../../e2e/stowage.js";
import { startAttachDetachController } from "../attachdetach/controller.js";
import { startReplicaSetController } from "../replicaset/controller.js";
import { startDeploymentController } from "./controller.js";

const driver = "disk.csi.example.com";

/**
 * What a kubelet would do for this test: start a pod once its volume is attached to its node (a pod whose volume
 * cannot attach never starts), and finish deleting the pods asked to stop.
 */
function standInKubelets(client: Client, signal: AbortSignal) {
  const informers = createInformerFactory(client);
  const { pods, volumeAttachments } = informers;
  const step = () => {
    for (const pod of pods.list()) {
      const { namespace = "", name = "" } = pod.metadata;
      const node = pod.spec.nodeName;
      if (pod.metadata.deletionTimestamp) {
        void client.pods.delete(namespace, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
      } else if (
        node &&
        pod.status?.phase !== "Running" &&
        volumeAttachments.list().some((a) => a.spec.nodeName === node)
      ) {
        const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
        const conditions = [{ type: "Ready", status: "True" as const, lastTransitionTime: now }];
        void client.pods.updateStatus({ ...pod, status: { phase: "Running", conditions } }).catch(() => undefined);
      }
    }
  };
  pods.onChange(step);
  volumeAttachments.onChange(step);
  informers.start(signal);
}

async function world(t: TestContext): Promise<{ s: Stowage; client: Client }> {
  const s = await startStowage(t);
  const client = createClient(s.transport());
  for (const name of ["node-1", "node-2"])
    await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name } });
  const claim = await client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "",
      volumeName: "disk",
    },
  });
  const pv = await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "disk" },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      storageClassName: "",
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: claim.metadata.uid },
      csi: { driver, volumeHandle: "disk-1" },
    },
  });
  await client.persistentVolumes.updateStatus({ ...pv, status: { phase: "Bound" } });
  await client.persistentVolumeClaims.updateStatus({
    ...claim,
    status: { phase: "Bound", accessModes: ["ReadWriteOnce"] },
  });

  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // every informer and queue listens on it
  const informers = createInformerFactory(client, { log: () => undefined });
  const ctx = { client, informers, log: () => undefined };
  const loops = await Promise.all([
    startReplicaSetController(ctx, abort.signal),
    startDeploymentController(ctx, abort.signal),
    startAttachDetachController(ctx, abort.signal),
  ]);
  standInKubelets(client, abort.signal);
  t.after(async () => {
    abort.abort();
    await Promise.all(loops.map((loop) => loop.done));
  });
  return { s, client };
}

const manifest = (strategy: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  replicas: 1
  selector: {matchLabels: {app: db}}
  strategy: {type: ${strategy}}
  template:
    metadata: {labels: {app: db}}
    spec:
      nodeName: node-1
      containers: [{name: db, image: postgres:16, volumeMounts: [{name: data, mountPath: /var/lib/postgresql/data}]}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`;

async function podsOn(client: Client, node: string): Promise<Pod[]> {
  const pods = (await client.pods.list({ namespace: "default", labelSelector: "app=db" })).items;
  return pods.filter((pod) => pod.spec.nodeName === node && !pod.metadata.deletionTimestamp);
}

const attachedNodes = async (client: Client) =>
  (await client.volumeAttachments.list()).items.map((a) => a.spec.nodeName).sort();

async function applyOnNode1(s: Stowage, client: Client, strategy: string): Promise<Pod> {
  const applied = await s.kubectlResult(["apply", "-f", "-"], { input: manifest(strategy) });
  assert.equal(applied.code, 0, applied.stderr);
  const [old] = await eventually(async () => {
    const pods = await podsOn(client, "node-1");
    return pods.length === 1 && pods[0].status?.phase === "Running" ? pods : undefined;
  });
  await eventually(async () => ((await attachedNodes(client)).join() === "node-1" ? true : undefined));
  return old;
}

const moveToNode2 = (s: Stowage) =>
  s.kubectl("patch", "deployment", "db", "--type=merge", "-p", '{"spec":{"template":{"spec":{"nodeName":"node-2"}}}}');

test("RollingUpdate with a ReadWriteOnce claim moved to another node wedges on upstream's Multi-Attach error", async (t) => {
  const { s, client } = await world(t);
  const old = await applyOnNode1(s, client, "RollingUpdate");
  await moveToNode2(s);
  const [fresh] = await eventually(async () => {
    const pods = await podsOn(client, "node-2");
    return pods.length === 1 ? pods : undefined;
  });
  const event = await eventually(async () => {
    const events = (await client.events.list({ namespace: "default" })).items as Event[];
    return events.find((e) => e.involvedObject.name === fresh.metadata.name && e.reason === "FailedAttachVolume");
  });
  assert.equal(event.type, "Warning");
  assert.equal(
    event.message,
    `Multi-Attach error for volume "disk" Volume is already used by pod(s) ${old.metadata.name ?? ""}`,
  );
  // The wedge: the old pod keeps the volume (maxUnavailable rounds down to 0 of 1), the volume stays on node-1.
  assert.deepEqual(
    (await podsOn(client, "node-1")).map((p) => p.metadata.name),
    [old.metadata.name],
  );
  assert.deepEqual(await attachedNodes(client), ["node-1"]);
  const status = await s.kubectlResult(["rollout", "status", "deployment/db", "--timeout=1s"]);
  assert.notEqual(status.code, 0);
  assert.match(status.stdout, /Waiting for deployment "db" rollout to finish: 1 old replicas are pending termination/);
});

test("Recreate hands a ReadWriteOnce volume over to the other node: old pod gone, detached, attached again", async (t) => {
  const { s, client } = await world(t);
  const old = await applyOnNode1(s, client, "Recreate");
  await moveToNode2(s);
  const rolled = await s.kubectl("rollout", "status", "deployment/db", "--timeout=60s");
  assert.match(rolled, /deployment "db" successfully rolled out\n$/);
  const [moved] = await podsOn(client, "node-2");
  assert.notEqual(moved.metadata.name, old.metadata.name);
  assert.deepEqual(await podsOn(client, "node-1"), []);
  await eventually(async () => ((await attachedNodes(client)).join() === "node-2" ? true : undefined));
  const d = (await client.deployments.get("default", "db")) as Deployment;
  assert.equal(d.status?.availableReplicas, 1);
});
