// The storage admission plugins as a user meets them through the API.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import type { ApiHandler } from "../../api/http.js";
import { MemoryStore } from "../../store/memory.js";
import { createApiServer } from "../server.js";
import { call, pvc } from "../testing/request.js";

const claims = "/api/v1/namespaces/default/persistentvolumeclaims";
const classes = "/apis/storage.k8s.io/v1/storageclasses";

async function server(t: TestContext): Promise<ApiHandler> {
  const store = new MemoryStore();
  const apiServer = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await apiServer.close();
    await store.close();
  });
  return apiServer.handler;
}

const storageClass = (name: string, allowVolumeExpansion: boolean) => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name },
  provisioner: "hostpath.csi.stowage.io",
  allowVolumeExpansion,
});

/** A claim of `className`, bound (as the binder leaves it) with 1Gi. */
async function boundClaim(handler: ApiHandler, name: string, className: string): Promise<void> {
  const created = await call(handler, "POST", claims, pvc(name, { storageClassName: className }));
  assert.equal(created.status, 201, created.text);
  const bound = await call(handler, "PATCH", `${claims}/${name}`, { spec: { volumeName: `pv-${name}` } });
  assert.equal(bound.status, 200, bound.text);
  const status = await call(handler, "PATCH", `${claims}/${name}/status`, {
    status: { phase: "Bound", capacity: { storage: "1Gi" }, accessModes: ["ReadWriteOnce"] },
  });
  assert.equal(status.status, 200, status.text);
}

const grow = (handler: ApiHandler, name: string) =>
  call(handler, "PATCH", `${claims}/${name}`, { spec: { resources: { requests: { storage: "2Gi" } } } });

test("a bound claim grows when its class allows expansion", async (t) => {
  const handler = await server(t);
  await call(handler, "POST", classes, storageClass("expandable", true));
  await boundClaim(handler, "data", "expandable");
  const grown = await grow(handler, "data");
  assert.equal(grown.status, 200, grown.text);
  assert.equal(grown.body.spec.resources.requests.storage, "2Gi");
});

test("a bound claim whose class does not allow expansion is refused with upstream's message", async (t) => {
  const handler = await server(t);
  await call(handler, "POST", classes, storageClass("fixed", false));
  await boundClaim(handler, "data", "fixed");
  const refused = await grow(handler, "data");
  assert.equal(refused.status, 403);
  assert.equal(
    refused.body.message,
    'persistentvolumeclaims "data" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize',
  );
});

test("new claims and volumes get their protection finalizers; an explicit empty class is kept", async (t) => {
  const handler = await server(t);
  await call(handler, "POST", classes, {
    ...storageClass("default", true),
    metadata: { name: "default", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
  });
  const claim = await call(handler, "POST", claims, pvc("static", { storageClassName: "" }));
  assert.equal(claim.body.spec.storageClassName, "");
  assert.deepEqual(claim.body.metadata.finalizers, ["kubernetes.io/pvc-protection"]);
});
