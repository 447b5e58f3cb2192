// syncVolume called directly on an informer cache of the in-process apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PVProtectionFinalizer } from "../../api/wellknown.js";
import { isNotFound } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { volume } from "../../client/testing/objects.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { syncVolume } from "./sync.js";

test("a deleted volume that is not Bound loses kubernetes.io/pv-protection and is gone", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const pv = volume("released");
  pv.metadata.finalizers = [PVProtectionFinalizer];
  await client.persistentVolumes.create(pv);
  await client.persistentVolumes.delete("released");
  assert.ok((await client.persistentVolumes.get("released")).metadata.deletionTimestamp, "held by the finalizer");
  const informers = await syncedInformers(t, client, (f) => f.persistentVolumes);

  await syncVolume({ client, volumes: informers.persistentVolumes }, "released");

  await assert.rejects(client.persistentVolumes.get("released"), isNotFound);
});
