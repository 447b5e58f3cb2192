// syncClaim called directly on informer caches of the in-process apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PVCProtectionFinalizer } from "../../api/wellknown.js";
import { isNotFound } from "../../client/index.js";
import { startTestApiServer } from "../../e2e/apiserver.js";
import { claim } from "../../client/testing/objects.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { ensurePodClaimIndex } from "../common/podindex.js";
import { syncClaim } from "./sync.js";

test("a deleted claim no pod uses loses kubernetes.io/pvc-protection and is gone", async (t) => {
  const server = await startTestApiServer(t);
  const client = server.client("in-process");
  const pvc = claim("default", "data");
  pvc.metadata.finalizers = [PVCProtectionFinalizer];
  await client.persistentVolumeClaims.create(pvc);
  await client.persistentVolumeClaims.delete("default", "data");
  const informers = await syncedInformers(t, client, (f) => [f.persistentVolumeClaims, ensurePodClaimIndex(f.pods)]);

  await syncClaim({ client, claims: informers.persistentVolumeClaims, pods: informers.pods }, "default/data");

  await assert.rejects(client.persistentVolumeClaims.get("default", "data"), isNotFound);
});
