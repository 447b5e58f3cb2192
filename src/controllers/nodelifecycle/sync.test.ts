// The node lifecycle controller's per-key syncs called directly on informer caches of the in-process apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node } from "../../api/core/types.js";
import { createEventRecorder } from "../../client/index.js";
import type { Client, InformerFactory } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { pod } from "../../client/testing/objects.js";
import type { NodeHealth } from "./health.js";
import { syncNoScheduleTaints, syncPod, type NodeLifecycleSync } from "./sync.js";

const at = "2026-01-01T00:00:00Z";

async function world(t: Parameters<typeof startTestApiServer>[0], ready: "True" | "False") {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const node = await client.nodes.create({ apiVersion: "v1", kind: "Node", metadata: { name: "node-1" } });
  await client.nodes.updateStatus({
    ...node,
    status: { conditions: [{ type: "Ready", status: ready, lastHeartbeatTime: at, lastTransitionTime: at }] },
  } as Node);
  return { client, informers: await syncedInformers(t, client, (f) => [f.nodes, f.pods]) };
}

function syncContext(client: Client, informers: InformerFactory, health: Map<string, NodeHealth>): NodeLifecycleSync {
  const recorder = createEventRecorder(client.events, { component: "node-controller", log: () => undefined });
  return { client, nodes: informers.nodes, pods: informers.pods, recorder, health, now: Date.now };
}

test("a node reporting Ready=False gets the node.kubernetes.io/not-ready:NoSchedule taint", async (t) => {
  const { client, informers } = await world(t, "False");
  await syncNoScheduleTaints(syncContext(client, informers, new Map()), "node-1");
  const taints = (await client.nodes.get("node-1")).spec?.taints ?? [];
  assert.deepEqual(
    taints.map((taint) => `${taint.key}:${taint.effect}`),
    ["node.kubernetes.io/not-ready:NoSchedule"],
  );
});

test("a Ready pod bound to a node last seen not Ready is marked not ready", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const app = await client.pods.create(pod("default", "app", { nodeName: "node-1" }));
  await client.pods.updateStatus({
    ...app,
    status: { phase: "Running", conditions: [{ type: "Ready", status: "True", lastTransitionTime: at }] },
  });
  const informers = await syncedInformers(t, client, (f) => [f.nodes, f.pods]);
  const health = new Map<string, NodeHealth>([
    ["node-1", { probeTimestamp: 0, readyTransitionTimestamp: 0, ready: { type: "Ready", status: "Unknown" } }],
  ]);
  await syncPod(syncContext(client, informers, health), "default/app");
  const ready = (await client.pods.get("default", "app")).status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.status, "False");
});
