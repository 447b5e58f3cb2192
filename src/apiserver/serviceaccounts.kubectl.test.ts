// ServiceAccount tokens through the real kubectl against a secured apiserver (HTTPS, client CA, Node,RBAC) with a
// ServiceAccount signing key, beside the controller-manager (which makes every namespace's "default" ServiceAccount):
// `kubectl create token` prints a JWT with upstream's claims; the token authenticates as the ServiceAccount, which
// may do only what bindings grant; expired, tampered, foreign-audience tokens, tokens of a deleted pod and of a
// deleted-and-recreated ServiceAccount are 401 with upstream's Status.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { decodeJwt } from "jose";
import { controllerManagerComponent } from "../e2e/parts.js";
import { eventually } from "../e2e/stowage.js";
import { newPrivateKey } from "../support/pki.js";
import { DefaultServiceAccountIssuer, ServiceAccountTokens } from "./authn/serviceaccount.js";
import { startSecuredApiServer, type KubectlResult } from "./testing/secured.js";

/** What kubectl said, on either stream. */
const said = (result: KubectlResult) => `${result.stderr}${result.stdout}`;

const unauthorizedStatus = {
  kind: "Status",
  apiVersion: "v1",
  metadata: {},
  status: "Failure",
  message: "Unauthorized",
  reason: "Unauthorized",
  code: 401,
};

/** A secured apiserver with ServiceAccount tokens and the controller-manager, and namespace `team` with its default. */
async function startWorld(t: TestContext) {
  const signingKey = await newPrivateKey();
  const s = await startSecuredApiServer(t, { serviceAccountTokens: { signingKey } });
  // the same key: what the test mints (an expired token) verifies as the apiserver's own
  const tokens = new ServiceAccountTokens({ signingKey });
  const abort = new AbortController();
  // in-process, the controller-manager is vouched for as `up` does (RBAC decides what each identity may do)
  const manager = await controllerManagerComponent.start({
    dataDir: "",
    transport: (user) => (request) => s.handler({ ...request, user }),
    url: s.url,
    kubeconfig: "",
    signal: abort.signal,
    log: () => undefined,
    say: () => undefined,
  });
  t.after(async () => {
    abort.abort();
    await manager.stop();
  });
  assert.equal((await s.admin(["create", "namespace", "team"])).code, 0);
  await eventually(async () => (await s.admin(["get", "serviceaccount", "default", "-n", "team"])).code === 0, 10_000);
  const createToken = async (...args: string[]) => {
    const result = await s.admin(["create", "token", "default", "-n", "team", ...args]);
    assert.equal(result.code, 0, said(result));
    return result.stdout.trim();
  };
  /** kubectl get pv as the token's user. */
  const getPv = async (token: string) => (await s.withToken(token))(["get", "pv"]);
  const grantPvRead = async () => {
    await s.admin(["create", "clusterrole", "pv-reader", "--verb=get,list", "--resource=persistentvolumes"]);
    const bound = await s.admin([
      "create",
      "clusterrolebinding",
      "team-pv",
      "--clusterrole=pv-reader",
      "--serviceaccount=team:default",
    ]);
    assert.equal(bound.code, 0, said(bound));
  };
  return { s, tokens, createToken, getPv, grantPvRead };
}

test("kubectl create token prints a JWT for the default ServiceAccount, which gets 403 until a binding grants it", async (t) => {
  const { s, createToken, getPv, grantPvRead } = await startWorld(t);
  const account = JSON.parse((await s.admin(["get", "sa", "default", "-n", "team", "-o", "json"])).stdout) as {
    metadata: { uid: string };
  };
  const token = await createToken();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const claims = decodeJwt(token);
  assert.equal(claims.iss, DefaultServiceAccountIssuer);
  assert.equal(claims.sub, "system:serviceaccount:team:default");
  assert.deepEqual(claims.aud, [DefaultServiceAccountIssuer]);
  assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 3600, "an hour unless --duration says otherwise");
  assert.equal(claims.nbf, claims.iat);
  assert.deepEqual(claims["kubernetes.io"], {
    namespace: "team",
    serviceaccount: { name: "default", uid: account.metadata.uid },
  });

  const denied = await getPv(token);
  assert.notEqual(denied.code, 0);
  assert.match(
    said(denied),
    /User "system:serviceaccount:team:default" cannot list resource "persistentvolumes" in API group "" at the cluster scope/,
  );
  await grantPvRead();
  // the authorizer's cache follows the store's watch: retry as a user would
  const allowed = await eventually(async () => {
    const result = await getPv(token);
    return result.code === 0 ? result : undefined;
  }, 10_000);
  assert.match(said(allowed), /No resources found/);
});

test("--duration, --audience and --bound-object-kind Pod: the token is what was asked and dies with its pod", async (t) => {
  const { s, createToken, getPv, grantPvRead } = await startWorld(t);
  await grantPvRead();
  const twenty = decodeJwt(await createToken("--duration", "20m"));
  assert.equal((twenty.exp ?? 0) - (twenty.iat ?? 0), 1200);
  const short = await s.admin(["create", "token", "default", "-n", "team", "--duration", "5m"]);
  assert.notEqual(short.code, 0);
  assert.match(
    said(short),
    /TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/,
  );

  const vault = await createToken("--audience", "vault");
  assert.deepEqual(decodeJwt(vault).aud, ["vault"]);
  assert.match(said(await getPv(vault)), /Unauthorized|You must be logged in to the server/, "not for this apiserver");

  assert.equal((await s.admin(["run", "app", "-n", "team", "--image", "busybox", "--restart", "Never"])).code, 0);
  const pod = JSON.parse((await s.admin(["get", "pod", "app", "-n", "team", "-o", "json"])).stdout) as {
    metadata: { uid: string };
    spec: { serviceAccountName: string };
  };
  assert.equal(pod.spec.serviceAccountName, "default", "ServiceAccount admission names the default");
  const bound = await createToken("--bound-object-kind", "Pod", "--bound-object-name", "app");
  assert.deepEqual((decodeJwt(bound)["kubernetes.io"] as Record<string, unknown>).pod, {
    name: "app",
    uid: pod.metadata.uid,
  });
  await eventually(async () => (await getPv(bound)).code === 0, 10_000);
  const missing = await s.admin([
    "create",
    "token",
    "default",
    "-n",
    "team",
    "--bound-object-kind",
    "Pod",
    "--bound-object-name",
    "nope",
  ]);
  assert.match(said(missing), /pods "nope" not found/);

  assert.equal((await s.admin(["delete", "pod", "app", "-n", "team", "--grace-period=0", "--force"])).code, 0);
  const gone = await getPv(bound);
  assert.notEqual(gone.code, 0);
  assert.match(said(gone), /Unauthorized|You must be logged in to the server/);
  assert.deepEqual((await s.getJson("/api/v1/persistentvolumes", bound)).body, unauthorizedStatus);
});

test("an expired or tampered token is 401, and so is every token of a deleted and recreated ServiceAccount", async (t) => {
  const { s, tokens, createToken, getPv, grantPvRead } = await startWorld(t);
  await grantPvRead();
  const token = await createToken();
  await eventually(async () => (await getPv(token)).code === 0, 10_000);

  const { kubernetes } = { kubernetes: decodeJwt(token)["kubernetes.io"] as { serviceaccount: { uid: string } } };
  const expired = await tokens.issue(
    {
      namespace: "team",
      serviceAccount: { name: "default", uid: kubernetes.serviceaccount.uid },
      audiences: [DefaultServiceAccountIssuer],
      expirationSeconds: 600,
    },
    new Date(Date.now() - 2 * 3600_000),
  );
  assert.deepEqual((await s.getJson("/api/v1/persistentvolumes", expired.token)).body, unauthorizedStatus);
  assert.match(said(await getPv(expired.token)), /You must be logged in to the server/);

  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
  const forged = Buffer.from(JSON.stringify({ ...claims, exp: (claims.exp as number) + 86_400 })).toString("base64url");
  assert.deepEqual(
    (await s.getJson("/api/v1/persistentvolumes", `${header}.${forged}.${signature}`)).body,
    unauthorizedStatus,
  );

  assert.equal((await s.admin(["delete", "sa", "default", "-n", "team"])).code, 0);
  // the controller makes "default" again, a new object with a new UID
  await eventually(async () => {
    const got = await s.admin(["get", "sa", "default", "-n", "team", "-o", "jsonpath={.metadata.uid}"]);
    return got.code === 0 && got.stdout !== kubernetes.serviceaccount.uid;
  }, 10_000);
  assert.deepEqual((await s.getJson("/api/v1/persistentvolumes", token)).body, unauthorizedStatus);
  const fresh = await createToken();
  assert.equal((await getPv(fresh)).code, 0, "a token of the new ServiceAccount works; the binding names it by name");
});
