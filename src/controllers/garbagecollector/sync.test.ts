// syncObject called directly on informer caches of the in-process apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../api/core/types.js";
import { isNotFound } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { pod } from "../../client/testing/objects.js";
import type { GarbageCollectorSync } from "./sync.js";
import { garbageCollectorSync, syncObject } from "./controller.js";

const ownedPod = (name: string, ownerUid: string): Pod => {
  const owned = pod("default", name);
  owned.metadata.ownerReferences = [
    { apiVersion: "apps/v1", kind: "StatefulSet", name: "web", uid: ownerUid, controller: true },
  ];
  return owned;
};

test("a pod whose owning StatefulSet is gone is deleted; one whose owner lives is kept", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const set = await client.statefulSets.create({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web", namespace: "default" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      serviceName: "web",
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx" }] } },
    },
  });
  await client.pods.create(ownedPod("orphan", "00000000-0000-0000-0000-000000000000"));
  await client.pods.create(ownedPod("owned", set.metadata.uid ?? ""));
  let sync!: GarbageCollectorSync;
  await syncedInformers(t, client, (informers) => {
    sync = garbageCollectorSync({ client, informers, log: () => undefined });
  });

  await syncObject(sync, "Pod|default/orphan");
  await syncObject(sync, "Pod|default/owned");

  await assert.rejects(client.pods.get("default", "orphan"), isNotFound);
  assert.equal((await client.pods.get("default", "owned")).metadata.deletionTimestamp, undefined);
});
