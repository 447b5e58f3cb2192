// scheduleOne called directly on informer caches of the in-process apiserver: one scheduling cycle of one pod.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { Client } from "../client/index.js";
import { startTestApiServer } from "../e2e/apiserver.js";
import { syncedInformers } from "../client/testing/informers.js";
import { pod } from "../client/testing/objects.js";
import { MsgNoNodesAvailable, scheduleOne, type ScheduleContext } from "./schedule.js";
import { newScheduleContext } from "./scheduler.js";

async function world(t: TestContext): Promise<{ client: Client }> {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  await client.pods.create(pod("default", "app"));
  return { client };
}

async function started(t: TestContext, client: Client): Promise<ScheduleContext> {
  let ctx!: ScheduleContext;
  await syncedInformers(t, client, (informers, signal) => {
    ctx = newScheduleContext({ client, log: () => undefined }, informers, signal);
  });
  return ctx;
}

/** node-000, node-001, …: three digits, so names sort as numbers do. */
const nodeName = (i: number) => `node-${String(i).padStart(3, "0")}`;

/** `count` Nodes labelled with their hostname, 50 at a time; `cordoned` are unschedulable. */
async function createNodes(client: Client, count: number, cordoned: readonly number[] = []): Promise<void> {
  for (let start = 0; start < count; start += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, count - start) }, (_, k) =>
        client.nodes.create({
          apiVersion: "v1",
          kind: "Node",
          metadata: { name: nodeName(start + k), labels: { "kubernetes.io/hostname": nodeName(start + k) } },
          spec: { unschedulable: cordoned.includes(start + k) },
        }),
      ),
    );
  }
}

test("with no node at all, a pod is marked PodScheduled=False Unschedulable with a FailedScheduling event", async (t) => {
  const { client } = await world(t);
  const ctx = await started(t, client);
  await scheduleOne(ctx, "default/app");
  await ctx.recorder.flush();

  const scheduled = (await client.pods.get("default", "app")).status?.conditions?.find(
    (c) => c.type === "PodScheduled",
  );
  assert.equal(scheduled?.status, "False");
  assert.equal(scheduled?.reason, "Unschedulable");
  assert.equal(scheduled?.message, MsgNoNodesAvailable);
  const events = (await client.events.list({ namespace: "default" })).items;
  assert.ok(events.some((e) => e.reason === "FailedScheduling" && e.message === MsgNoNodesAvailable));
});

test("a pod without volumes is bound to the one node there is, and Scheduled is said", async (t) => {
  const { client } = await world(t);
  await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } });
  const ctx = await started(t, client);
  await scheduleOne(ctx, "default/app");
  await Promise.all([...ctx.cycles]);
  await ctx.recorder.flush();

  assert.equal((await client.pods.get("default", "app")).spec.nodeName, "node-1");
  const events = (await client.events.list({ namespace: "default" })).items;
  assert.ok(
    events.some((e) => e.reason === "Scheduled" && e.message === "Successfully assigned default/app to node-1"),
  );
});

test("on 300 nodes a pod filters 144 (48%), the next starts where it stopped, and a pod fitting one node finds it", async (t) => {
  const { client } = await world(t);
  await createNodes(client, 300);
  await client.pods.create(pod("default", "second"));
  await client.pods.create(pod("default", "picky", { nodeSelector: { "kubernetes.io/hostname": nodeName(100) } }));
  const ctx = await started(t, client);
  const nodeOf = async (podName: string) => {
    await Promise.all([...ctx.cycles]);
    return (await client.pods.get("default", podName)).spec.nodeName ?? "";
  };

  await scheduleOne(ctx, "default/app");
  assert.equal(ctx.lastEvaluatedNodes, 144);
  assert.equal(ctx.nextStartNodeIndex, 144);
  const first = await nodeOf("app");
  assert.ok(first >= nodeName(0) && first <= nodeName(143), first);

  await scheduleOne(ctx, "default/second");
  assert.equal(ctx.nextStartNodeIndex, 288);
  const second = await nodeOf("second");
  assert.ok(second >= nodeName(144) && second <= nodeName(287), second);

  // It starts at node-288 and wraps around: every node is filtered to find the one it fits.
  await scheduleOne(ctx, "default/picky");
  assert.equal(ctx.lastEvaluatedNodes, 300);
  assert.equal(await nodeOf("picky"), nodeName(100));
});

test("on 300 nodes a claim finds the node of its one free PV, and a claim no PV fits is told every node's reason", async (t) => {
  const { client } = await world(t);
  await createNodes(client, 300, [7]);
  await client.storageClasses.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "local" },
    provisioner: "kubernetes.io/no-provisioner",
    volumeBindingMode: "WaitForFirstConsumer",
  });
  const volume = await client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-250" },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteOnce"],
      storageClassName: "local",
      hostPath: { path: "/tmp/pv-250" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [nodeName(250)] }] },
          ],
        },
      },
    },
  });
  await client.persistentVolumes.updateStatus({ ...volume, status: { phase: "Available" } }); // no PV controller here
  for (const [claimName, size] of [
    ["small", "1Gi"],
    ["big", "2Gi"],
  ]) {
    await client.persistentVolumeClaims.create({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: claimName, namespace: "default" },
      spec: { accessModes: ["ReadWriteOnce"], storageClassName: "local", resources: { requests: { storage: size } } },
    });
    const volumes = [{ name: "data", persistentVolumeClaim: { claimName } }];
    await client.pods.create(pod("default", `with-${claimName}`, { volumes }));
  }
  const ctx = await started(t, client);

  await scheduleOne(ctx, "default/with-small");
  assert.equal(ctx.lastEvaluatedNodes, 300); // one node fits: every node is looked at, as upstream
  assert.equal(ctx.cache.podCountOn(nodeName(250)), 1); // assumed there

  await scheduleOne(ctx, "default/with-big");
  const scheduled = (await client.pods.get("default", "with-big")).status?.conditions?.find(
    (c) => c.type === "PodScheduled",
  );
  // The skipped nodes' reasons are those the filters give, in their order: the cordoned node is unschedulable.
  assert.equal(
    scheduled?.message,
    "0/300 nodes are available: 1 node(s) were unschedulable, 299 node(s) didn't find available persistent " +
      "volumes to bind. preemption: 0/300 nodes are available: 300 Preemption is not helpful for scheduling.",
  );
});
