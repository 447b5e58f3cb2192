// syncPod called directly on informer caches of the in-process apiserver.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { Pod } from "../../api/core/types.js";
import { createEventRecorder } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { claim, pod } from "../../client/testing/objects.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { syncPod, type EphemeralSync } from "./sync.js";

const withScratch = (name: string): Pod =>
  pod("default", name, {
    volumes: [
      {
        name: "scratch",
        ephemeral: {
          volumeClaimTemplate: {
            metadata: { labels: { type: "scratch" }, annotations: { note: "from the template" } },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
          },
        },
      },
    ],
  });

async function world(t: TestContext, setup: (client: EphemeralSync["client"]) => Promise<unknown>) {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  await setup(client);
  const recorder = createEventRecorder(client.events, { component: "ephemeral_volume", log: () => undefined });
  const informers = await syncedInformers(t, client, (f) => [f.pods, f.persistentVolumeClaims]);
  const ctx: EphemeralSync = { client, pods: informers.pods, claims: informers.persistentVolumeClaims, recorder };
  return { client, ctx, recorder };
}

test("a pod's generic ephemeral volume gets the claim <pod>-<volume>, controlled by the pod", async (t) => {
  const { client, ctx } = await world(t, (c) => c.pods.create(withScratch("app")));
  const created = await client.pods.get("default", "app");

  await syncPod(ctx, "default/app");

  const made = await client.persistentVolumeClaims.get("default", "app-scratch");
  assert.deepEqual(made.metadata.ownerReferences, [
    {
      apiVersion: "v1",
      kind: "Pod",
      name: "app",
      uid: created.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    },
  ]);
  assert.deepEqual(made.metadata.labels, { type: "scratch" });
  assert.equal(made.metadata.annotations?.note, "from the template");
  assert.deepEqual(made.spec.accessModes, ["ReadWriteOnce"]);
  assert.equal(made.spec.resources?.requests?.storage, "1Gi");
});

test("a claim of that name the pod does not own is reported on the pod and never taken over", async (t) => {
  const { client, ctx, recorder } = await world(t, async (c) => {
    await c.persistentVolumeClaims.create(claim("default", "app-scratch"));
    await c.pods.create(withScratch("app"));
  });

  await assert.rejects(syncPod(ctx, "default/app"), /was not created for pod default\/app \(pod is not owner\)/);

  await recorder.flush();
  const events = (await client.events.list({ namespace: "default" })).items.filter(
    (e) => e.involvedObject.name === "app",
  );
  assert.deepEqual(
    events.map((e) => [e.type, e.reason, e.message, e.source?.component]),
    [
      [
        "Warning",
        "FailedBinding",
        "ephemeral volume scratch: PVC default/app-scratch was not created for pod default/app (pod is not owner)",
        "ephemeral_volume",
      ],
    ],
  );
  const untouched = await client.persistentVolumeClaims.get("default", "app-scratch");
  assert.equal(untouched.metadata.ownerReferences, undefined);
});

test("a pod being deleted gets no new claims", async (t) => {
  const { client, ctx } = await world(t, async (c) => {
    const app = withScratch("app");
    app.metadata.finalizers = ["example.com/hold"];
    await c.pods.create(app);
    await c.pods.delete("default", "app");
  });

  await syncPod(ctx, "default/app");

  assert.deepEqual((await client.persistentVolumeClaims.list({ namespace: "default" })).items, []);
});
