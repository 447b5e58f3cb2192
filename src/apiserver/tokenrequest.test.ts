// POST serviceaccounts/{name}/token on the apiserver's handler: the TokenRequest as JSON or as the protobuf kubectl
// sends, upstream's defaults, and each refusal with upstream's status and message.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { decodeJwt } from "jose";
import { MemoryStore } from "../store/memory.js";
import { newPrivateKey } from "../support/pki.js";
import { DefaultServiceAccountIssuer } from "./authn/serviceaccount.js";
import { createApiServer } from "./server.js";
import { call } from "./testing/request.js";

const tokenPath = (name: string) => `/api/v1/namespaces/default/serviceaccounts/${name}/token`;
const tokenRequest = (spec: Record<string, unknown> = {}) => ({
  apiVersion: "authentication.k8s.io/v1",
  kind: "TokenRequest",
  spec,
});

async function start(t: TestContext, withTokens = true) {
  const store = new MemoryStore();
  const serviceAccountTokens = { signingKey: await newPrivateKey() };
  const server = await createApiServer({
    store,
    log: () => undefined,
    ...(withTokens ? { serviceAccountTokens } : {}),
  });
  t.after(async () => {
    await server.close();
    await store.close();
  });
  const handler = server.handler;
  const account = await call(handler, "POST", "/api/v1/namespaces/default/serviceaccounts", {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "builder" },
  });
  const pod = (name: string, serviceAccountName?: string) =>
    call(handler, "POST", "/api/v1/namespaces/default/pods", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name },
      spec: { containers: [{ name: "c", image: "busybox" }], ...(serviceAccountName ? { serviceAccountName } : {}) },
    });
  return { handler, accountUid: account.body.metadata.uid as string, pod };
}

/** Protobuf as kubectl's typed client writes it: "k8s\0" + runtime.Unknown{typeMeta 1, raw 2}. */
function protobufTokenRequest(audience: string, seconds: number, pod: string): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    return [...out, n];
  };
  const bytes = (field: number, value: Uint8Array | string) => {
    const data = typeof value === "string" ? Buffer.from(value) : value;
    return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(data.length)]), data]);
  };
  const ref = Buffer.concat([bytes(1, "Pod"), bytes(2, "v1"), bytes(3, pod)]);
  const spec = Buffer.concat([bytes(1, audience), bytes(3, ref), Buffer.from([4 << 3, ...varint(seconds)])]);
  const raw = Buffer.concat([bytes(1, Buffer.alloc(0)), bytes(2, spec)]);
  const typeMeta = Buffer.concat([bytes(1, "authentication.k8s.io/v1"), bytes(2, "TokenRequest")]);
  return Buffer.concat([Buffer.from("k8s\0"), bytes(1, typeMeta), bytes(2, raw)]);
}

test("a TokenRequest answers 201 with a token for the apiserver's audiences, valid an hour by default", async (t) => {
  const { handler, accountUid } = await start(t);
  const before = Math.floor(Date.now() / 1000);
  const answer = await call(handler, "POST", tokenPath("builder"), tokenRequest());
  assert.equal(answer.status, 201, answer.text);
  assert.equal(answer.body.apiVersion, "authentication.k8s.io/v1");
  assert.equal(answer.body.kind, "TokenRequest");
  assert.deepEqual(answer.body.metadata, { namespace: "default", creationTimestamp: null });
  assert.deepEqual(answer.body.spec, {
    audiences: [DefaultServiceAccountIssuer],
    expirationSeconds: 3600,
    boundObjectRef: null,
  });
  assert.match(answer.body.status.expirationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const claims = decodeJwt(answer.body.status.token);
  assert.equal(Date.parse(answer.body.status.expirationTimestamp) / 1000, claims.exp);
  assert.ok((claims.iat ?? 0) >= before);
  assert.deepEqual(claims["kubernetes.io"], {
    namespace: "default",
    serviceaccount: { name: "builder", uid: accountUid },
  });
});

test("kubectl's protobuf TokenRequest is read: audience, duration and the pod it is bound to", async (t) => {
  const { handler, pod } = await start(t);
  const created = await pod("app", "builder");
  const answer = await call(handler, "POST", tokenPath("builder"), protobufTokenRequest("vault", 1200, "app"), {
    "content-type": "application/vnd.kubernetes.protobuf",
  });
  assert.equal(answer.status, 201, answer.text);
  assert.deepEqual(answer.body.spec.boundObjectRef, { kind: "Pod", apiVersion: "v1", name: "app" });
  const claims = decodeJwt(answer.body.status.token);
  assert.deepEqual(claims.aud, ["vault"]);
  assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 1200);
  assert.deepEqual((claims["kubernetes.io"] as Record<string, unknown>).pod, {
    name: "app",
    uid: created.body.metadata.uid,
  });
});

const refusals: { name: string; account?: string; spec: Record<string, unknown>; code: number; message: string }[] = [
  {
    name: "a ServiceAccount that does not exist",
    account: "nope",
    spec: {},
    code: 404,
    message: 'serviceaccounts "nope" not found',
  },
  {
    name: "less than ten minutes",
    spec: { expirationSeconds: 599 },
    code: 422,
    message:
      'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes',
  },
  {
    name: "a kind tokens cannot be bound to",
    spec: { boundObjectRef: { kind: "ConfigMap", apiVersion: "v1", name: "settings" } },
    code: 400,
    message: "cannot bind token to object of type /v1, Kind=ConfigMap",
  },
  {
    name: "a pod that runs as another ServiceAccount",
    spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "other" } },
    code: 400,
    message: 'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.',
  },
  {
    name: "a pod whose UID is not the one named",
    spec: { boundObjectRef: { kind: "Pod", apiVersion: "v1", name: "app", uid: "stale-uid" } },
    code: 409,
    message:
      'Operation cannot be fulfilled on Pod "app": the UID in the bound object reference (stale-uid) does not match the UID in record. The object might have been deleted and then recreated',
  },
  {
    name: "a Secret that does not exist",
    spec: { boundObjectRef: { kind: "Secret", apiVersion: "v1", name: "gone" } },
    code: 404,
    message: 'secrets "gone" not found',
  },
  {
    name: "audiences that are not a list of strings",
    spec: { audiences: "vault" },
    code: 400,
    message:
      'TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot unmarshal string into Go struct field TokenRequestSpec.spec.audiences of type []string',
  },
];

test("requests upstream refuses are refused with its code and message", async (t) => {
  const { handler, pod } = await start(t);
  await pod("app", "builder");
  await pod("other");
  for (const refusal of refusals) {
    const answer = await call(handler, "POST", tokenPath(refusal.account ?? "builder"), tokenRequest(refusal.spec));
    assert.equal(answer.status, refusal.code, `${refusal.name}: ${answer.text}`);
    assert.equal(answer.body.message, refusal.message, refusal.name);
  }
});

test("a token bound to a Secret names it; without a signing key the subresource is not served", async (t) => {
  const { handler } = await start(t);
  const secret = await call(handler, "POST", "/api/v1/namespaces/default/secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "ci" },
  });
  const ref = { kind: "Secret", apiVersion: "v1", name: "ci" };
  const answer = await call(handler, "POST", tokenPath("builder"), tokenRequest({ boundObjectRef: ref }));
  assert.equal(answer.status, 201, answer.text);
  assert.deepEqual((decodeJwt(answer.body.status.token)["kubernetes.io"] as Record<string, unknown>).secret, {
    name: "ci",
    uid: secret.body.metadata.uid,
  });
  assert.equal((await call(handler, "GET", tokenPath("builder"))).status, 405);

  const bare = await start(t, false);
  assert.equal((await call(bare.handler, "POST", tokenPath("builder"), tokenRequest())).status, 404);
});
