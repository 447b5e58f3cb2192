import assert from "node:assert/strict";
import { test } from "node:test";
import { createClient } from "./client.js";
import { createEventRecorder } from "./events.js";
import { httpTransport } from "./http.js";
import { startTestApiServer, transportKinds } from "../e2e/apiserver.js";
import { claim, namespace, volume } from "./testing/objects.js";

const quiet = (): void => {};

for (const kind of transportKinds) {
  test(`[${kind}] an event names its object like Kubernetes, and a repeat raises count to 2 on the same Event`, async (t) => {
    const client = (await startTestApiServer(t)).client(kind);
    await client.namespaces.create(namespace("apps"));
    const pvc = await client.persistentVolumeClaims.create(claim("apps", "data"));
    const recorder = createEventRecorder(client.events, { component: "persistentvolume-controller", log: quiet });
    const message = "no persistent volumes available for this claim and no storage class is set";
    recorder.event(pvc, "Normal", "FailedBinding", message);
    recorder.event(pvc, "Normal", "FailedBinding", message);
    await recorder.flush();

    const events = (await client.events.list({ namespace: "apps" })).items;
    assert.equal(events.length, 1);
    const [event] = events;
    assert.match(event.metadata.name ?? "", /^data\.[0-9a-f]+$/);
    assert.equal(event.count, 2);
    assert.equal(event.reason, "FailedBinding");
    assert.equal(event.message, message);
    assert.equal(event.type, "Normal");
    assert.equal(event.source?.component, "persistentvolume-controller");
    assert.deepEqual(event.involvedObject, {
      kind: "PersistentVolumeClaim",
      apiVersion: "v1",
      namespace: "apps",
      name: "data",
      uid: pvc.metadata.uid,
      resourceVersion: pvc.metadata.resourceVersion,
    });
    assert.ok(event.firstTimestamp && event.lastTimestamp);
  });
}

test("events about cluster-scoped objects go to the default namespace; different messages are separate events", async (t) => {
  const client = (await startTestApiServer(t)).client("in-process");
  const pv = await client.persistentVolumes.create(volume("pv-1"));
  const recorder = createEventRecorder(client.events, { component: "persistentvolume-controller", log: quiet });
  recorder.event(pv, "Warning", "VolumeFailedRecycle", "recycler pod failed");
  recorder.event(pv, "Warning", "VolumeFailedRecycle", "recycler pod timed out");
  await recorder.flush();
  const events = (await client.events.list({ namespace: "default" })).items;
  assert.deepEqual(events.map((e) => [e.involvedObject.name, e.message, e.count]).sort(), [
    ["pv-1", "recycler pod failed", 1],
    ["pv-1", "recycler pod timed out", 1],
  ]);
});

test("a failed event write is logged, never thrown at the caller", async () => {
  // Nothing listens on port 1: every write fails to connect, is retried, then given up on.
  const client = createClient(httpTransport({ server: "http://127.0.0.1:1" }));
  const logged: string[] = [];
  const recorder = createEventRecorder(client.events, { component: "test", log: (message) => logged.push(message) });
  assert.doesNotThrow(() => recorder.event(claim("apps", "data"), "Normal", "Provisioning", "x"));
  await recorder.flush();
  assert.deepEqual(logged, ["could not write event; dropping it"]);
});

test("more than 25 quick events about one object are dropped as spam, as client-go's spam filter does", async (t) => {
  const client = (await startTestApiServer(t)).client("in-process");
  await client.namespaces.create(namespace("noisy"));
  const pvc = await client.persistentVolumeClaims.create(claim("noisy", "data"));
  const recorder = createEventRecorder(client.events, { component: "test", log: quiet });
  for (let i = 0; i < 30; i++) recorder.event(pvc, "Warning", "ProvisioningFailed", `attempt ${i} failed`);
  await recorder.flush();
  const events = (await client.events.list({ namespace: "noisy" })).items;
  // 25 pass the spam filter; from the 10th distinct message on they are combined into one aggregate Event.
  const combined = events.filter((e) => e.message?.startsWith("(combined from similar events): "));
  assert.equal(events.length, 10);
  assert.equal(combined.length, 1);
  assert.equal(combined[0].count, 16);
  assert.equal(combined[0].message, "(combined from similar events): attempt 24 failed");
});
