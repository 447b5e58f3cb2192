// fieldValidation as kubectl and client-go use it: Strict refuses unknown fields, Warn stores the object without
// them and says so in a Warning header, Ignore drops them silently.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { createApiServer } from "./server.js";
import { call, pvc } from "./testing/request.js";

const claims = "/api/v1/namespaces/default/persistentvolumeclaims";

test("unknown fields: Strict refuses, Warn warns and drops, Ignore drops silently", async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const withTypo = (name: string) => ({ ...pvc(name, { storgeClassName: "fast" }), color: "blue" });

  const strict = await call(server.handler, "POST", `${claims}?fieldValidation=Strict`, withTypo("a"));
  assert.equal(strict.status, 400);
  assert.match(
    strict.body.message,
    /strict decoding error: unknown field "color", unknown field "spec.storgeClassName"/,
  );

  const warn = await call(server.handler, "POST", `${claims}?fieldValidation=Warn`, withTypo("b"));
  assert.equal(warn.status, 201);
  assert.equal(
    warn.headers.warning,
    '299 - "unknown field \\"color\\"", 299 - "unknown field \\"spec.storgeClassName\\""',
  );
  assert.equal(warn.body.color, undefined);
  assert.equal(warn.body.spec.storgeClassName, undefined);

  const ignore = await call(server.handler, "POST", `${claims}?fieldValidation=Ignore`, withTypo("c"));
  assert.equal(ignore.status, 201);
  assert.equal(ignore.headers.warning, undefined);
  assert.equal((await call(server.handler, "GET", `${claims}/c`)).body.color, undefined);

  // patches too
  const patch = await call(server.handler, "PATCH", `${claims}/c?fieldValidation=Strict`, { spec: { foo: 1 } });
  assert.equal(patch.status, 400);
  assert.match(patch.body.message, /strict decoding error: unknown field "spec.foo"/);
  const warned = await call(server.handler, "PATCH", `${claims}/c?fieldValidation=Warn`, { spec: { foo: 1 } });
  assert.equal(warned.status, 200);
  assert.equal(warned.headers.warning, '299 - "unknown field \\"spec.foo\\""');
  assert.equal(warned.body.spec.foo, undefined);
});

test("unknown fields are found at any depth, by the kind's schema; upstream's fields we do not read are known", async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const deep = { ...pvc("deep"), spec: { ...pvc("deep").spec, resources: { requestz: { storage: "1Gi" } } } };
  const strict = await call(server.handler, "POST", `${claims}?fieldValidation=Strict`, deep);
  assert.equal(strict.status, 400);
  assert.match(strict.body.message, /strict decoding error: unknown field "spec.resources.requestz"$/);

  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "app" },
    spec: {
      containers: [
        // ports, env and resources are upstream's fields, stored as sent
        {
          name: "app",
          image: "busybox",
          imagePullPolicy: "Never",
          ports: [{ containerPort: 80 }],
          env: [],
          colour: "x",
        },
      ],
    },
  };
  const pods = "/api/v1/namespaces/default/pods";
  const refused = await call(server.handler, "POST", `${pods}?fieldValidation=Strict`, pod);
  assert.equal(refused.status, 400);
  assert.match(refused.body.message, /strict decoding error: unknown field "spec.containers\[0\].colour"$/);
  const warned = await call(server.handler, "POST", `${pods}?fieldValidation=Warn`, pod);
  assert.equal(warned.status, 201);
  assert.equal(warned.headers.warning, '299 - "unknown field \\"spec.containers[0].colour\\""');
  assert.equal(warned.body.spec.containers[0].ports[0].containerPort, 80);
  assert.equal(warned.body.spec.containers[0].colour, undefined);

  // a custom resource's schema is as deep: the snapshot CRDs'
  const snapshot = {
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name: "snap" },
    spec: { source: { persistentVolumeClaimName: "deep", pvcName: "x" } },
  };
  const snapshots = "/apis/snapshot.storage.k8s.io/v1/namespaces/default/volumesnapshots";
  const crd = await call(server.handler, "POST", `${snapshots}?fieldValidation=Strict`, snapshot);
  assert.equal(crd.status, 400);
  assert.match(crd.body.message, /unknown field "spec.source.pvcName"/);
});
