// /openapi/v2 negotiated as kube-apiserver does, and the v3 documents' schemas.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { decodeOpenApiV2 } from "./openapiproto.js";
import { createApiServer } from "./server.js";
import { call } from "./testing/request.js";

const protobuf = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

async function server() {
  return (await createApiServer({ store: new MemoryStore(), log: () => undefined })).handler;
}

test("/openapi/v2 answers JSON by default and gnostic protobuf when asked, with an ETag", async () => {
  const handler = await server();
  const json = await call(handler, "GET", "/openapi/v2");
  assert.equal(json.status, 200);
  assert.equal(json.headers["content-type"], "application/json");
  assert.equal(json.body.swagger, "2.0");
  const pvc = json.body.definitions["io.k8s.api.core.v1.PersistentVolumeClaim"];
  assert.deepEqual(pvc["x-kubernetes-group-version-kind"], [
    { group: "", version: "v1", kind: "PersistentVolumeClaim" },
  ]);

  const response = await handler({
    method: "GET",
    path: "/openapi/v2",
    query: new URLSearchParams(),
    headers: { accept: `${protobuf}, application/json` },
  });
  assert.equal(response.status, 200);
  assert.equal(response.headers["content-type"], "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  assert.ok(response.body instanceof Uint8Array);
  const doc = decodeOpenApiV2(response.body) as {
    swagger: string;
    definitions: { additional_properties: { name: string; value: Record<string, unknown> }[] };
  };
  assert.equal(doc.swagger, "2.0");
  const decoded = doc.definitions.additional_properties.find(
    (d) => d.name === "io.k8s.api.core.v1.PersistentVolumeClaimSpec",
  );
  const props = (
    decoded?.value.properties as { additional_properties: { name: string; value: Record<string, unknown> }[] }
  ).additional_properties;
  const accessModes = props.find((p) => p.name === "accessModes")?.value;
  assert.deepEqual(accessModes?.type, { value: ["array"] });
  assert.deepEqual(accessModes?.vendor_extension, [{ name: "x-kubernetes-list-type", value: { yaml: '"atomic"\n' } }]);
  assert.equal(
    props.find((p) => p.name === "resources")?.value._ref,
    "#/definitions/io.k8s.api.core.v1.VolumeResourceRequirements",
  );

  const again = await handler({
    method: "GET",
    path: "/openapi/v2",
    query: new URLSearchParams(),
    headers: { accept: protobuf, "if-none-match": response.headers.etag },
  });
  assert.equal(again.status, 304);
});

test("/openapi/v3 documents carry the group-version's schemas, refs under components", async () => {
  const handler = await server();
  const index = await call(handler, "GET", "/openapi/v3");
  const url = index.body.paths["apis/storage.k8s.io/v1"].serverRelativeURL as string;
  const doc = await call(handler, "GET", url);
  const schemas = doc.body.components.schemas;
  const sc = schemas["io.k8s.api.storage.v1.StorageClass"];
  assert.deepEqual(sc["x-kubernetes-group-version-kind"], [
    { group: "storage.k8s.io", version: "v1", kind: "StorageClass" },
  ]);
  assert.deepEqual(sc.properties.metadata.allOf, [
    { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
  ]);
  assert.match(sc.properties.metadata.description, /^Standard object's metadata/);
  assert.ok(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"], "what the kinds refer to comes along");
  assert.ok(!schemas["io.k8s.api.core.v1.PodSpec"], "other groups' kinds stay in their own documents");
});
