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
