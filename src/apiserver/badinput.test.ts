// Bad input, row by row: each malformed or invalid request gets upstream's Status code and a message that names
// the field or the problem, and none of them changes the store.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HttpMethod } from "../api/http.js";
import { MemoryStore } from "../store/memory.js";
import { createApiServer } from "./server.js";
import { call, pv, pvc } from "./testing/request.js";

interface Case {
  name: string;
  method: HttpMethod;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
  code: number;
  reason?: string;
  message: RegExp;
}

const pvcs = "/api/v1/namespaces/default/persistentvolumeclaims";
const pvs = "/api/v1/persistentvolumes";
const big = "x".repeat(3 * 1024 * 1024 + 10);

const cases: Case[] = [
  {
    name: "malformed JSON",
    method: "POST",
    url: pvcs,
    body: '{"kind": "PersistentVolumeClaim",',
    code: 400,
    reason: "BadRequest",
    message: /json parse error/,
  },
  {
    name: "malformed YAML",
    method: "POST",
    url: pvcs,
    body: "kind: [unclosed\n  a: b",
    headers: { "content-type": "application/yaml" },
    code: 400,
    message: /error converting YAML to JSON: yaml:/,
  },
  {
    name: "a JSON array instead of an object",
    method: "POST",
    url: pvcs,
    body: "[]",
    code: 400,
    message: /must be a PersistentVolumeClaim object, not an array/,
  },
  {
    name: "a kind that is not a string",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), kind: 5 },
    code: 400,
    message: /json: cannot unmarshal number into Go struct field .kind of type string/,
  },
  {
    name: "an apiVersion of the core group's other version",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), apiVersion: "v2" },
    code: 400,
    message: /the API version in the data \(v2\) does not match the expected API version \(v1\)/,
  },
  {
    // Upstream takes a missing kind (or apiVersion, below) from the URL, then validates the object as that kind.
    name: "missing kind, and no spec",
    method: "POST",
    url: pvcs,
    body: { apiVersion: "v1", metadata: { name: "a" } },
    code: 422,
    message: /PersistentVolumeClaim "a" is invalid: \[spec.accessModes: Required value/,
  },
  {
    name: "missing apiVersion, and no spec",
    method: "POST",
    url: pvcs,
    body: { kind: "PersistentVolumeClaim", metadata: { name: "a" } },
    code: 422,
    message: /PersistentVolumeClaim "a" is invalid: \[spec.accessModes: Required value/,
  },
  {
    name: "apiVersion of another group",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), apiVersion: "storage.k8s.io/v1" },
    code: 400,
    message: /the API version in the data \(storage.k8s.io\/v1\) does not match the expected API version \(v1\)/,
  },
  {
    name: "a Pod sent to the claims URL",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), kind: "Pod" },
    code: 400,
    message:
      /^Pod in version "v1" cannot be handled as a PersistentVolumeClaim: converting \(v1\.Pod\) to \(core\.PersistentVolumeClaim\): unknown conversion$/,
  },
  {
    name: "claim without a storage request",
    method: "POST",
    url: pvcs,
    body: pvc("a", { resources: {} }),
    code: 422,
    reason: "Invalid",
    message: /PersistentVolumeClaim "a" is invalid: spec.resources\[storage\]: Required value/,
  },
  {
    name: "claim without access modes",
    method: "POST",
    url: pvcs,
    body: pvc("a", { accessModes: [] }),
    code: 422,
    message: /spec.accessModes: Required value/,
  },
  {
    name: "claim with a bad name",
    method: "POST",
    url: pvcs,
    body: pvc("My_Claim"),
    code: 422,
    message: /metadata.name: Invalid value: "My_Claim"/,
  },
  {
    name: "claim without a name",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), metadata: {} },
    code: 422,
    message: /metadata.name: Required value: name or generateName is required/,
  },
  {
    name: "unknown field with fieldValidation=Strict",
    method: "POST",
    url: `${pvcs}?fieldValidation=Strict`,
    body: pvc("a", { foo: 1 }),
    code: 400,
    message: /strict decoding error: unknown field "spec.foo"/,
  },
  {
    name: "metadata of the wrong type",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), metadata: { name: "a", labels: { x: 1 } } },
    code: 400,
    message: /ObjectMeta.metadata.labels/,
  },
  {
    name: "body over 3 MiB",
    method: "POST",
    url: pvcs,
    body: big,
    code: 413,
    reason: "RequestEntityTooLarge",
    message: /Request entity too large: limit is 3145728/,
  },
  {
    name: "unsupported content type",
    method: "POST",
    url: pvcs,
    body: "x",
    headers: { "content-type": "text/plain" },
    code: 415,
    reason: "UnsupportedMediaType",
    message: /unknown format/,
  },
  {
    name: "namespace that does not exist",
    method: "POST",
    url: "/api/v1/namespaces/nope/persistentvolumeclaims",
    body: pvc("a"),
    code: 404,
    message: /namespaces "nope" not found/,
  },
  {
    name: "namespace in body differs from URL",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), metadata: { name: "a", namespace: "kube-system" } },
    code: 400,
    message: /namespace of the provided object does not match the namespace sent on the request/,
  },
  {
    name: "resourceVersion on create",
    method: "POST",
    url: pvcs,
    body: { ...pvc("a"), metadata: { name: "a", resourceVersion: "5" } },
    code: 400,
    message: /resourceVersion should not be set on objects to be created/,
  },
  {
    name: "volume without capacity",
    method: "POST",
    url: pvs,
    body: pv("b", { capacity: undefined }),
    code: 422,
    message: /spec.capacity: Required value/,
  },
  {
    name: "volume with a bad quantity",
    method: "POST",
    url: pvs,
    body: pv("b", { capacity: { storage: "5Gb" } }),
    code: 400,
    reason: "BadRequest",
    message:
      /^PersistentVolume in version "v1" cannot be handled as a PersistentVolume: quantities must match the regular expression '\^\(\[\+-\]\?\[0-9\.\]\+\)\(\[eEinumkKMGTP\]\*\[-\+\]\?\[0-9\]\*\)\$'$/,
  },
  {
    name: "claim with a bad storage request",
    method: "POST",
    url: pvcs,
    body: pvc("b", { resources: { requests: { storage: "lots" } } }),
    code: 400,
    reason: "BadRequest",
    message:
      /^PersistentVolumeClaim in version "v1" cannot be handled as a PersistentVolumeClaim: quantities must match the regular expression/,
  },
  {
    name: "claim request that is not a string or number",
    method: "PUT",
    url: `${pvcs}/existing`,
    body: pvc("existing", { resources: { requests: { storage: true } } }),
    code: 400,
    reason: "BadRequest",
    message: /cannot be handled as a PersistentVolumeClaim: quantities must be strings or numbers/,
  },
  {
    name: "a merge patch that makes a quantity malformed",
    method: "PATCH",
    url: `${pvs}/existing`,
    body: '{"spec":{"capacity":{"storage":"5 Gi"}}}',
    code: 422,
    reason: "Invalid",
    message: /^ "" is invalid: patch: Invalid value: ".*": quantities must match the regular expression/,
  },
  {
    name: "volume with two sources",
    method: "POST",
    url: pvs,
    body: pv("b", { nfs: { server: "x", path: "/y" } }),
    code: 422,
    message: /may not specify more than 1 volume type|spec.nfs/,
  },
  {
    name: "a volume that already exists",
    method: "POST",
    url: pvs,
    body: pv("existing"),
    code: 409,
    reason: "AlreadyExists",
    message: /persistentvolumes "existing" already exists/,
  },
  {
    name: "PUT with a name that differs from the URL",
    method: "PUT",
    url: `${pvs}/existing`,
    body: pv("other"),
    code: 400,
    message: /the name of the object \(other\) does not match the name on the URL \(existing\)/,
  },
  {
    name: "PUT with a stale resourceVersion",
    method: "PUT",
    url: `${pvs}/existing`,
    body: { ...pv("existing"), metadata: { name: "existing", resourceVersion: "1" } },
    code: 409,
    reason: "Conflict",
    message:
      /Operation cannot be fulfilled on persistentvolumes "existing": the object has been modified; please apply your changes to the latest version and try again/,
  },
  {
    name: "PUT of something that does not exist",
    method: "PUT",
    url: `${pvs}/ghost`,
    body: pv("ghost"),
    code: 404,
    message: /persistentvolumes "ghost" not found/,
  },
  {
    name: "GET of something that does not exist",
    method: "GET",
    url: `${pvs}/ghost`,
    code: 404,
    reason: "NotFound",
    message: /persistentvolumes "ghost" not found/,
  },
  {
    name: "a resource the server does not serve",
    method: "GET",
    url: "/api/v1/foos",
    code: 404,
    message: /the server could not find the requested resource/,
  },
  {
    name: "server-side apply without a field manager",
    method: "PATCH",
    url: `${pvs}/existing`,
    body: "{}",
    headers: { "content-type": "application/apply-patch+yaml" },
    code: 422,
    message: /^PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch$/m,
  },
  {
    name: "a field manager longer than 128 bytes",
    method: "POST",
    url: `${pvs}?fieldManager=${"m".repeat(129)}`,
    body: { apiVersion: "v1", kind: "PersistentVolume", metadata: { name: "long" }, spec: {} },
    code: 422,
    message: /^CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes$/m,
  },
  {
    name: "force on a patch that is no apply",
    method: "PATCH",
    url: `${pvs}/existing?force=true`,
    body: "{}",
    headers: { "content-type": "application/merge-patch+json" },
    code: 422,
    message: /^PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch$/m,
  },
  {
    name: "a patch of an unknown type",
    method: "PATCH",
    url: `${pvs}/existing`,
    body: "{}",
    headers: { "content-type": "text/plain" },
    code: 415,
    message: /accepted media types include: application\/json-patch\+json/,
  },
  {
    name: "a merge patch that is not JSON",
    method: "PATCH",
    url: `${pvs}/existing`,
    body: "{nope",
    code: 400,
    message: /json parse error/,
  },
  {
    name: "a JSON patch on a missing path",
    method: "PATCH",
    url: `${pvs}/existing`,
    body: '[{"op":"replace","path":"/spec/nope/x","value":1}]',
    headers: { "content-type": "application/json-patch+json" },
    code: 422,
    message: /nope|missing|doesn't exist/,
  },
  {
    name: "a patch that makes the object invalid",
    method: "PATCH",
    url: `${pvs}/existing`,
    body: '{"spec":{"accessModes":null}}',
    code: 422,
    message: /PersistentVolume "existing" is invalid: spec.accessModes: Required value/,
  },
  {
    name: "a label selector that does not parse",
    method: "GET",
    url: `${pvs}?labelSelector=${encodeURIComponent("a b c")}`,
    code: 400,
    message: /unable to parse requirement|found 'b'|invalid/,
  },
  {
    name: "a field selector on an unknown field",
    method: "GET",
    url: `${pvs}?fieldSelector=spec.foo%3Dbar`,
    code: 400,
    message: /"spec.foo" is not a known field selector/,
  },
  {
    name: "limit that is not a number",
    method: "GET",
    url: `${pvs}?limit=abc`,
    code: 400,
    message: /strconv.ParseInt: parsing "abc": invalid syntax/,
  },
  {
    name: "a continue token that is garbage",
    method: "GET",
    url: `${pvs}?limit=1&continue=garbage`,
    code: 400,
    message: /continue key is not valid/,
  },
  {
    name: "an unknown resourceVersionMatch",
    method: "GET",
    url: `${pvs}?resourceVersion=1&resourceVersionMatch=Bogus`,
    code: 400,
    message: /resourceVersionMatch: Unsupported value: "Bogus"/,
  },
  {
    name: "a resourceVersion that is not a number",
    method: "GET",
    url: `${pvs}?resourceVersion=abc&resourceVersionMatch=NotOlderThan`,
    code: 400,
    message: /invalid resourceVersion: "abc"/,
  },
  {
    name: "a watch from a resourceVersion that is not a number",
    method: "GET",
    url: `${pvs}?watch=1&resourceVersion=abc`,
    code: 400,
    message: /invalid resourceVersion: "abc"/,
  },
  {
    name: "dryRun other than All",
    method: "POST",
    url: `${pvs}?dryRun=Some`,
    body: pv("c"),
    code: 400,
    message: /dryRun: Unsupported value: "Some"/,
  },
  {
    name: "an unknown fieldValidation",
    method: "POST",
    url: `${pvs}?fieldValidation=Bogus`,
    body: pv("c"),
    code: 400,
    message: /fieldValidation parameter unsupported: Bogus/,
  },
  {
    name: "deleting the default namespace",
    method: "DELETE",
    url: "/api/v1/namespaces/default",
    code: 403,
    reason: "Forbidden",
    message: /namespaces "default" is forbidden: this namespace may not be deleted/,
  },
  {
    name: "delete with a stale uid precondition",
    method: "DELETE",
    url: `${pvs}/existing`,
    body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: "not-it" } },
    code: 409,
    message: /Precondition failed: UID in precondition: not-it/,
  },
  {
    name: "an unknown propagationPolicy",
    method: "DELETE",
    url: `${pvs}/existing?propagationPolicy=Sometimes`,
    code: 422,
    message: /propagationPolicy: Unsupported value: "Sometimes"/,
  },
  {
    name: "growing a claim that is not bound (its spec is immutable)",
    method: "PATCH",
    url: `${pvcs}/existing`,
    body: '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}',
    code: 422,
    message:
      /PersistentVolumeClaim "existing" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests/,
  },
  {
    name: "only protobuf accepted",
    method: "GET",
    url: pvs,
    headers: { accept: "application/vnd.kubernetes.protobuf" },
    code: 406,
    reason: "NotAcceptable",
    message: /only the following media types are accepted/,
  },
  {
    name: "POST to an object's URL",
    method: "POST",
    url: `${pvs}/existing`,
    body: pv("existing"),
    code: 405,
    reason: "MethodNotAllowed",
    message: /create is not supported/,
  },
];

test(`${cases.length} bad requests get the right Status, name the problem, and leave the store unchanged`, async (t) => {
  const store = new MemoryStore();
  const server = await createApiServer({ store, compactionIntervalMs: 0 });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const created = await call(server.handler, "POST", pvs, pv("existing"));
  assert.equal(created.status, 201, created.text);
  assert.equal((await call(server.handler, "POST", pvcs, pvc("existing"))).status, 201);
  const before = await store.currentRevision();
  assert.ok(cases.length >= 30);
  const failures: string[] = [];
  for (const c of cases) {
    const answer = await call(server.handler, c.method, c.url, c.body, c.headers);
    const problems: string[] = [];
    if (answer.status !== c.code) problems.push(`status ${answer.status}, want ${c.code}`);
    if (answer.body?.kind !== "Status") problems.push("not a Status");
    else {
      if (answer.body.code !== c.code) problems.push(`Status code ${answer.body.code}`);
      if (c.reason && answer.body.reason !== c.reason) problems.push(`reason ${answer.body.reason}, want ${c.reason}`);
      // the message, or a cause where upstream's message is generic (a failed JSON patch)
      const text = [
        answer.body.message,
        ...(answer.body.details?.causes ?? []).map((x: { message?: string }) => x.message),
      ].join("\n");
      if (!c.message.test(text)) problems.push(`message does not match ${c.message}`);
    }
    if (/\bat .*\.ts:\d+/.test(answer.text)) problems.push("a stack trace leaked");
    if (problems.length) failures.push(`${c.name}: ${problems.join("; ")}: ${answer.text.slice(0, 300)}`);
  }
  assert.deepEqual(failures, []);
  assert.equal(await store.currentRevision(), before, "a bad request changed the store");
});
