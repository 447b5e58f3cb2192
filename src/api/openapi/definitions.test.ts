import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { resources } from "../resources.js";
import { openApiDefinitions } from "./definitions.js";
import { definitionsFile, definitionsText, generateDefinitions } from "./generate.js";
import { definitionName } from "./schema.js";

test("definitions.json is what our types make today (run `npm run gen:openapi` after changing a type)", () => {
  assert.equal(readFileSync(definitionsFile, "utf8"), definitionsText(generateDefinitions()));
});

test("every served kind and its list has a definition with its group-version-kind", () => {
  const definitions = openApiDefinitions();
  for (const r of resources) {
    const name = definitionName(r.group, r.version, r.kind);
    assert.deepEqual(definitions[name]?.["x-kubernetes-group-version-kind"], [
      { group: r.group, version: r.version, kind: r.kind },
    ]);
    assert.deepEqual(definitions[`${name}List`]?.["x-kubernetes-group-version-kind"], [
      { group: r.group, version: r.version, kind: r.listKind },
    ]);
  }
});

test("a definition takes its fields from our type and its facts from upstream", () => {
  const definitions = openApiDefinitions();
  const spec = definitions["io.k8s.api.core.v1.PersistentVolumeClaimSpec"];
  assert.deepEqual(spec.properties?.accessModes, {
    description:
      "accessModes contains the desired access modes the volume should have. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1",
    "x-kubernetes-list-type": "atomic",
    type: "array",
    items: { type: "string" },
  });
  assert.equal(spec.properties?.resources?.$ref, "#/definitions/io.k8s.api.core.v1.VolumeResourceRequirements");
  const requests = definitions["io.k8s.api.core.v1.VolumeResourceRequirements"].properties?.requests;
  assert.deepEqual(requests?.additionalProperties, {
    $ref: "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity",
  });
  // A number's width is Go's: upstream says which.
  const pod = definitions["io.k8s.api.core.v1.PodSpec"];
  assert.deepEqual(
    {
      type: pod.properties?.terminationGracePeriodSeconds?.type,
      format: pod.properties?.terminationGracePeriodSeconds?.format,
    },
    { type: "integer", format: "int64" },
  );
  // patch strategy and list-map keys as upstream publishes them
  assert.equal(pod.properties?.volumes?.["x-kubernetes-patch-merge-key"], "name");
  assert.equal(pod.properties?.volumes?.["x-kubernetes-patch-strategy"], "merge,retainKeys");
  assert.deepEqual(pod.properties?.volumes?.["x-kubernetes-list-map-keys"], ["name"]);
  // required: what upstream requires a client to send
  assert.deepEqual(definitions["io.k8s.api.storage.v1.StorageClass"].required, ["provisioner"]);
  // a custom resource's nested objects are inline, as kube-apiserver publishes a CRD's schema
  const snapshot = definitions["io.k8s.storage.snapshot.v1.VolumeSnapshot"];
  assert.equal(snapshot.properties?.spec?.properties?.source?.type, "object");
  assert.deepEqual(snapshot.required, ["spec"]);
});
