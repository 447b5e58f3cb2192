// syncClaim called directly on an informer cache of the in-process apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createEventRecorder } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { claim, volume } from "../../client/testing/objects.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { externalExpandingMessage, syncClaim } from "./sync.js";

test("a bound claim asking for more than its capacity gets Normal ExternalExpanding", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const pvc = claim("default", "data", "2Gi");
  pvc.spec.volumeName = "pv-data";
  const created = await client.persistentVolumeClaims.create(pvc);
  const pv = volume("pv-data", "1Gi");
  pv.spec.claimRef = { kind: "PersistentVolumeClaim", namespace: "default", name: "data", uid: created.metadata.uid };
  // An in-tree volume is left to an external controller too: no in-tree plugin here expands.
  await client.persistentVolumes.create(pv);
  await client.persistentVolumeClaims.updateStatus({
    ...created,
    status: { phase: "Bound", capacity: { storage: "1Gi" } },
  });
  const informers = await syncedInformers(t, client, (f) => f.persistentVolumeClaims);
  const recorder = createEventRecorder(client.events, { component: "volume_expand", log: () => undefined });

  await syncClaim({ client, claims: informers.persistentVolumeClaims, recorder }, "default/data");
  await recorder.flush();

  const events = (await client.events.list({ namespace: "default" })).items;
  assert.deepEqual(
    events.map((e) => [e.type, e.reason, e.message, e.source?.component]),
    [["Normal", "ExternalExpanding", externalExpandingMessage, "volume_expand"]],
  );
});
