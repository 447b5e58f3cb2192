// Upstream's "[sig-storage] CSIStorageCapacity should support CSIStorageCapacities API operations"
// (test/e2e/storage/csistoragecapacity.go), step by step, against a whole stowage through client-node.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApisApi, KubeConfig, StorageApi, Watch, type V1CSIStorageCapacity } from "@kubernetes/client-node";
import { eventually } from "../stowage.js";
import { mergePatch, startConformanceWorld, statusCode } from "./world.js";

/** A watch that records what the test's three conditions need: an ADDED, and a MODIFIED with each annotation. */
async function watchFor(kc: KubeConfig, path: string, labelSelector: string) {
  const seen = new Set<string>();
  const request = await new Watch(kc).watch(
    path,
    { labelSelector },
    (type: string, object: V1CSIStorageCapacity) => {
      if (type === "ADDED") seen.add("added");
      if (type === "MODIFIED" && object.metadata?.annotations?.patched === "true") seen.add("patched");
      if (type === "MODIFIED" && object.metadata?.annotations?.updated === "true") seen.add("updated");
    },
    () => undefined,
  );
  return { seen, stop: () => request.abort() };
}

test("[sig-storage] CSIStorageCapacity should support CSIStorageCapacities API operations", async (t) => {
  const world = await startConformanceWorld(t, "stowage-conformance-csc-");
  const { storage } = world;
  const kc = new KubeConfig();
  kc.loadFromFile(world.kubeconfig);
  const ns = await world.namespace("csistoragecapacity");
  const unique = ns;
  const newCapacity = (suffix: string): V1CSIStorageCapacity => ({
    metadata: { name: `${unique}${suffix}`, labels: { test: unique } },
    storageClassName: "e2e.example.com",
  });
  const labelSelector = `test=${unique}`;

  // Discovery: the group, its v1 version, and the resource in it.
  const groups = await kc.makeApiClient(ApisApi).getAPIVersions();
  const group = groups.groups.find((g) => g.name === "storage.k8s.io");
  assert.ok(
    group?.versions.some((v) => v.version === "v1"),
    "storage.k8s.io/v1 in /apis",
  );
  const storageGroup = await kc.makeApiClient(StorageApi).getAPIGroup();
  assert.ok(
    storageGroup.versions.some((v) => v.version === "v1"),
    "v1 in /apis/storage.k8s.io",
  );
  const resources = await storage.getAPIResources();
  assert.ok(
    resources.resources.some((r) => r.name === "csistoragecapacities"),
    "csistoragecapacities in v1",
  );

  // Create (twice: the second is AlreadyExists), then a second; watch in the namespace and across namespaces.
  const created = await storage.createNamespacedCSIStorageCapacity({ namespace: ns, body: newCapacity("-csc1") });
  await assert.rejects(
    storage.createNamespacedCSIStorageCapacity({ namespace: ns, body: newCapacity("-csc1") }),
    (err) => statusCode(err) === 409,
  );
  await storage.createNamespacedCSIStorageCapacity({ namespace: ns, body: newCapacity("-csc2") });
  const inNamespace = await watchFor(
    kc,
    `/apis/storage.k8s.io/v1/namespaces/${ns}/csistoragecapacities`,
    labelSelector,
  );
  const acrossNamespaces = await watchFor(kc, "/apis/storage.k8s.io/v1/csistoragecapacities", labelSelector);
  t.after(() => {
    inNamespace.stop();
    acrossNamespaces.stop();
  });
  await storage.createNamespacedCSIStorageCapacity({ namespace: ns, body: newCapacity("-csc3") });

  const name = created.metadata?.name ?? "";
  const gotten = await storage.readNamespacedCSIStorageCapacity({ name, namespace: ns });
  assert.equal(gotten.metadata?.uid, created.metadata?.uid);
  assert.equal((await storage.listNamespacedCSIStorageCapacity({ namespace: ns, labelSelector })).items.length, 3);
  assert.equal((await storage.listCSIStorageCapacityForAllNamespaces({ labelSelector })).items.length, 3);

  const patched = await storage.patchNamespacedCSIStorageCapacity(
    { name, namespace: ns, body: { metadata: { annotations: { patched: "true" } } } },
    mergePatch,
  );
  assert.equal(patched.metadata?.annotations?.patched, "true");
  patched.metadata = { ...patched.metadata, annotations: { ...patched.metadata?.annotations, updated: "true" } };
  const updated = await storage.replaceNamespacedCSIStorageCapacity({ name, namespace: ns, body: patched });
  assert.equal(updated.metadata?.annotations?.updated, "true");
  // Upstream's loop ends at the first of added, patched or updated; we wait for all three, a stronger check.
  for (const watch of [inNamespace, acrossNamespaces]) {
    await eventually(() => (watch.seen.size === 3 ? true : undefined));
  }

  await storage.deleteNamespacedCSIStorageCapacity({ name, namespace: ns });
  await assert.rejects(
    storage.readNamespacedCSIStorageCapacity({ name, namespace: ns }),
    (err) => statusCode(err) === 404,
  );
  assert.equal((await storage.listNamespacedCSIStorageCapacity({ namespace: ns, labelSelector })).items.length, 2);

  await storage.deleteCollectionNamespacedCSIStorageCapacity({ namespace: ns, labelSelector });
  const left = await storage.listNamespacedCSIStorageCapacity({ namespace: ns, labelSelector });
  for (const capacity of left.items) {
    assert.ok(capacity.metadata?.deletionTimestamp && capacity.metadata.finalizers?.length, "only held by a finalizer");
  }
});
