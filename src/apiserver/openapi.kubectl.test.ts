// The real kubectl reading our OpenAPI documents: `explain` from v3, client-side validation from v2 (protobuf),
// as it does against kube-apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ok, startSecuredApiServer } from "./testing/secured.js";

const claim = (name: string, extra = "") => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi${extra}
`;

test("kubectl explain pvc.spec.resources prints upstream's field descriptions", async (t) => {
  const server = await startSecuredApiServer(t);
  const out = await ok(server.admin, ["explain", "pvc.spec.resources"]);
  assert.match(out, /^KIND:\s+PersistentVolumeClaim$/m);
  assert.match(out, /^VERSION:\s+v1$/m);
  assert.match(out, /^FIELD: resources <VolumeResourceRequirements>$/m);
  assert.match(out, /resources represents the minimum resources the volume should have\. Users are\s+allowed/);
  assert.match(out, /^ {2}limits\t<map\[string\]Quantity>$/m);
  assert.match(out, /Limits describes the maximum amount of compute resources allowed\. More info:/);
  assert.match(out, /^ {2}requests\t<map\[string\]Quantity>$/m);

  // the same from /openapi/v2 in protobuf, as kubectl explain read it before v3
  const v2 = await ok(server.admin, ["explain", "pvc.spec.resources", "--output=plaintext-openapiv2"]);
  assert.match(v2, /^RESOURCE: resources <Object>$/m);
  assert.match(v2, /resources represents the minimum resources the volume should have\.\s+Users\s+are allowed/);
  assert.match(v2, /^ {3}requests\t<map\[string\]string>$/m);

  const sc = await ok(server.admin, ["explain", "storageclass.volumeBindingMode"]);
  assert.match(sc, /volumeBindingMode indicates how PersistentVolumeClaims should be provisioned\s+and bound/);
  const vs = await ok(server.admin, ["explain", "volumesnapshot.spec.source"]);
  assert.match(vs, /source specifies where a snapshot will be created from\.\s+This field is\s+immutable/);
  assert.match(vs, /persistentVolumeClaimName\t<string>/);
});

test("kubectl apply -f of a kind: List, as `kubectl get -o yaml` writes it, is validated against /openapi/v2", async (t) => {
  const server = await startSecuredApiServer(t);
  await ok(server.admin, ["apply", "-f", "-"], claim("one") + "---\n" + claim("two"));
  const list = await ok(server.admin, ["get", "pvc", "-o", "yaml"]);
  assert.match(list, /^kind: List$/m);
  const applied = await ok(server.admin, ["apply", "-f", "-"], list);
  assert.match(applied, /persistentvolumeclaim\/one (unchanged|configured)/);
  assert.match(applied, /persistentvolumeclaim\/two (unchanged|configured)/);

  // A typo inside a List is caught by kubectl itself, against the v2 schema, as against kube-apiserver.
  const typo = `apiVersion: v1
kind: List
items:
- ${claim("three", "\n  storageClassNam: fast").trimEnd().split("\n").join("\n  ")}
`;
  const refused = await server.admin(["apply", "-f", "-"], typo);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /error validating data: .*unknown field "storageClassNam"/);
  assert.match(refused.stderr, /io\.k8s\.api\.core\.v1\.PersistentVolumeClaimSpec/);
});

test("every kind kubectl writes in a List validates against /openapi/v2 as it is read back", async (t) => {
  const server = await startSecuredApiServer(t);
  for (const file of ["storage.yaml", "statefulset.yaml", "event.yaml"]) {
    await ok(server.admin, ["apply", "-f", fileURLToPath(new URL(`./testdata/${file}`, import.meta.url))]);
  }
  const extra = [
    {
      apiVersion: "storage.k8s.io/v1",
      kind: "CSIDriver",
      metadata: { name: "hostpath.csi.stowage.io" },
      spec: { attachRequired: false, volumeLifecycleModes: ["Persistent", "Ephemeral"] },
    },
    {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshotClass",
      metadata: { name: "snaps" },
      driver: "hostpath.csi.stowage.io",
      deletionPolicy: "Delete",
    },
    {
      apiVersion: "snapshot.storage.k8s.io/v1",
      kind: "VolumeSnapshot",
      metadata: { name: "snap" },
      spec: { volumeSnapshotClassName: "snaps", source: { persistentVolumeClaimName: "my-pvc" } },
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "b" } },
  ];
  await ok(server.admin, ["apply", "-f", "-"], extra.map((o) => JSON.stringify(o)).join("\n"));
  const kinds =
    "pv,pvc,sc,pod,sts,events,csidriver,volumesnapshotclass,volumesnapshot,configmap,serviceaccount,namespace";
  const list = await ok(server.admin, ["get", kinds, "-o", "yaml"]);
  const again = await server.admin(["apply", "-f", "-"], list);
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /error validating/);
});

test("kubectl apply --validate=strict refuses an unknown field", async (t) => {
  const server = await startSecuredApiServer(t);
  const refused = await server.admin(
    ["apply", "--validate=strict", "-f", "-"],
    claim("typo", "\n  storageClassNam: x"),
  );
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /unknown field "spec\.storageClassNam"/);

  // at any depth, and on update and patch as on create; Warn stores the object without the field and says so
  const deep = claim("deep").replace("requests:", "requestz:");
  const deeper = await server.admin(["apply", "--validate=strict", "-f", "-"], deep);
  assert.notEqual(deeper.code, 0);
  assert.match(deeper.stderr, /strict decoding error: unknown field "spec\.resources\.requestz"/);
  await ok(server.admin, ["apply", "-f", "-"], claim("deep"));
  const warned = await server.admin(["apply", "--validate=warn", "-f", "-"], claim("deep", "\n  volumeNam: x"));
  assert.equal(warned.code, 0, warned.stderr);
  assert.match(warned.stderr, /Warning: unknown field "spec\.volumeNam"/);
  const replaced = await server.admin(
    ["replace", "--validate=strict", "-f", "-"],
    claim("deep", "\n  selector:\n    matchLabel: {}"),
  );
  assert.notEqual(replaced.code, 0);
  assert.match(replaced.stderr, /unknown field "spec\.selector\.matchLabel"/);
});
