// syncStatefulSet called directly on informer caches of the in-process apiserver: one round of one set.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatefulSet } from "../../api/apps/types.js";
import { createEventRecorder } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { controllerRevisionResource } from "./revision.js";
import { syncStatefulSet } from "./sync.js";

const web: StatefulSet = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "web", namespace: "default" },
  spec: {
    replicas: 2,
    serviceName: "web",
    selector: { matchLabels: { app: "web" } },
    template: {
      metadata: { labels: { app: "web" } },
      spec: { containers: [{ name: "web", image: "nginx" }] },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    ],
  },
};

test("an OrderedReady set's first sync creates ordinal 0's claim, then its pod, and says so in events", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  await client.statefulSets.create(web);
  const informers = await syncedInformers(t, client, (f) => [
    f.statefulSets,
    f.pods,
    f.persistentVolumeClaims,
    f.informerFor(client.resource(controllerRevisionResource)),
  ]);
  const recorder = createEventRecorder(client.events, { component: "statefulset-controller", log: () => undefined });
  await syncStatefulSet(
    {
      client,
      statefulSets: informers.statefulSets,
      pods: informers.pods,
      claims: informers.persistentVolumeClaims,
      revisions: informers.informerFor(client.resource(controllerRevisionResource)),
      recorder,
    },
    "default/web",
  );
  await recorder.flush();

  const claims = (await client.persistentVolumeClaims.list({ namespace: "default" })).items;
  assert.deepEqual(
    claims.map((c) => c.metadata.name),
    ["data-web-0"],
  );
  // Ordinal 1 waits for ordinal 0 to be Running and Ready.
  const pods = (await client.pods.list({ namespace: "default" })).items;
  assert.deepEqual(
    pods.map((p) => p.metadata.name),
    ["web-0"],
  );
  assert.equal(pods[0].spec.volumes?.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, "data-web-0");
  const events = (await client.events.list({ namespace: "default" })).items.map((e) => `${e.reason}: ${e.message}`);
  assert.ok(events.includes("SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success"));
  assert.ok(events.includes("SuccessfulCreate: create Pod web-0 in StatefulSet web successful"));
  const set = await client.statefulSets.get("default", "web");
  assert.equal(set.status?.replicas, 0, "status counts the pods the round started from");
  assert.ok(set.status?.updateRevision?.startsWith("web-"));
});
