// An apiserver started as `stowage apiserver --tls-cert-file … --client-ca-file … --token-auth-file …
// --authorization-mode Node,RBAC` answers the real kubectl as kube-apiserver does: over HTTPS, the admin's client
// certificate (group system:masters) may do anything, no credentials is system:anonymous (403), a wrong token 401,
// a token user only what RoleBindings grant, and `kubectl auth can-i` tells the truth.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { eventually } from "../e2e/stowage.js";
import { StaticTokens } from "./authn/tokenfile.js";
import { startSecuredApiServer } from "./testing/secured.js";

async function startSecured(t: TestContext) {
  const s = await startSecuredApiServer(t, {
    security: {
      authentication: { tokens: StaticTokens.parse("alice-token,alice,1001\n"), anonymous: true },
      authorization: ["Node", "RBAC"],
    },
  });
  return {
    ...s,
    alice: await s.kubectl("alice", { token: "alice-token" }),
    wrong: await s.kubectl("wrong", { token: "not-a-token" }),
  };
}

test("over HTTPS the admin's certificate may do anything; no credentials is system:anonymous and gets 403", async (t) => {
  const s = await startSecured(t);
  assert.match(s.url, /^https:\/\//);
  const adminGet = await s.admin("get", "pv");
  assert.equal(adminGet.code, 0, adminGet.out);
  assert.match(adminGet.out, /No resources found/);
  // no credentials at all (kubectl itself would stop to prompt for a username): a plain HTTPS request
  const anonymous = await s.getJson("/api/v1/persistentvolumes");
  assert.equal(anonymous.status, 403);
  assert.equal(anonymous.body.reason, "Forbidden");
  assert.equal(
    anonymous.body.message,
    'persistentvolumes is forbidden: User "system:anonymous" cannot list resource "persistentvolumes" in API group "" at the cluster scope',
  );
  assert.equal((await s.getJson("/healthz")).status, 200, "/healthz stays open to anyone");
  const wrong = await s.wrong("get", "pv");
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.out, /Unauthorized|You must be logged in to the server/);
});

test("a token user may do only what RoleBindings grant, and kubectl auth can-i says so truthfully", async (t) => {
  const s = await startSecured(t);
  const denied = await s.alice("get", "pvc", "-n", "default");
  assert.notEqual(denied.code, 0);
  assert.match(
    denied.out,
    /User "alice" cannot list resource "persistentvolumeclaims" in API group "" in the namespace "default"/,
  );
  assert.equal((await s.alice("auth", "can-i", "list", "persistentvolumeclaims")).out.trim(), "no");

  const granted = await s.admin(
    "create",
    "rolebinding",
    "alice-view",
    "--clusterrole=view",
    "--user=alice",
    "-n",
    "default",
  );
  assert.equal(granted.code, 0, granted.out);
  // the authorizer's cache follows the store's watch: wait for the binding to take effect, as a user would retry
  const listed = await eventually(async () => {
    const result = await s.alice("get", "pvc", "-n", "default");
    return result.code === 0 ? result : undefined;
  }, 10_000);
  assert.equal(listed.code, 0, listed.out);
  assert.equal((await s.alice("auth", "can-i", "list", "persistentvolumeclaims")).out.trim(), "yes");
  assert.equal((await s.alice("auth", "can-i", "create", "persistentvolumeclaims")).out.trim(), "no");
  assert.equal((await s.alice("auth", "can-i", "get", "secrets")).out.trim(), "no");
  assert.equal(
    (await s.alice("auth", "can-i", "list", "persistentvolumeclaims", "-n", "kube-system")).out.trim(),
    "no",
  );
  // the admin asks on alice's behalf (impersonation)
  assert.equal((await s.admin("auth", "can-i", "list", "pvc", "--as", "alice")).out.trim(), "yes");
  assert.equal((await s.admin("auth", "can-i", "delete", "pvc", "--as", "alice")).out.trim(), "no");
  // alice may not impersonate anyone
  const escalate = await s.alice("get", "pv", "--as", "kubernetes-admin");
  assert.match(
    escalate.out,
    /users "kubernetes-admin" is forbidden: User "alice" cannot impersonate resource "users" in API group ""/,
  );
});
