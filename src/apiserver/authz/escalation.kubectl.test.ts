// RBAC's privilege-escalation prevention through the real kubectl against a secured apiserver: a user who may write
// RBAC objects still cannot grant what she does not hold — a ClusterRole deleting secrets everywhere, a binding to
// `admin` — and gets upstream's message listing what is missing; `escalate` and `bind` (by name) lift exactly that.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../../e2e/stowage.js";
import { ok, startSecuredApiServer, type Kubectl } from "../testing/secured.js";

const secretDeleter = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-deleter}
rules: [{apiGroups: [""], resources: [secrets], verbs: [delete]}]
`;
const teamSecretDeleter = `
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: secret-deleter, namespace: team}
rules: [{apiGroups: [""], resources: [secrets], verbs: [delete]}]
`;
/** What lets dana write RBAC objects at all (so that the authorizer lets her requests reach the escalation check). */
const rbacWriter = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: rbac-writer}
rules:
- apiGroups: [rbac.authorization.k8s.io]
  resources: [roles, rolebindings, clusterroles, clusterrolebindings]
  verbs: [get, list, create, update, patch]
`;

/** The authorizer follows the store's watch: wait until `kubectl auth can-i` answers as wanted. */
const canI = (kubectl: Kubectl, args: string[], want: "yes" | "no") =>
  eventually(
    async () => ((await kubectl(["auth", "can-i", ...args])).stdout.trim() === want ? true : undefined),
    10_000,
  );

const held =
  'user "dana" (groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:';

test("a user who may write RBAC objects cannot grant what she does not hold, until escalate and bind say she may", async (t) => {
  const s = await startSecuredApiServer(t);
  await ok(s.admin, ["create", "namespace", "team"]);
  await ok(s.admin, ["apply", "-f", "-"], rbacWriter);
  await ok(s.admin, ["create", "clusterrolebinding", "dana-rbac", "--clusterrole=rbac-writer", "--user=dana"]);
  await ok(s.admin, ["create", "rolebinding", "dana-edit", "--clusterrole=edit", "--user=dana", "-n", "team"]);
  const dana = await s.as("dana", ["devs"]);
  await canI(dana, ["delete", "secrets", "-n", "team"], "yes");
  await canI(dana, ["create", "clusterroles"], "yes");

  // edit lets her delete secrets in team, not everywhere: a ClusterRole that may is beyond her
  const cluster = await dana(["create", "-f", "-"], secretDeleter);
  assert.notEqual(cluster.code, 0);
  assert.match(
    cluster.stderr,
    new RegExp(
      escape(
        `clusterroles.rbac.authorization.k8s.io "secret-deleter" is forbidden: ${held}\n{APIGroups:[""], Resources:["secrets"], Verbs:["delete"]}`,
      ),
    ),
  );
  // …while a Role in team granting the same is within what she holds there
  await ok(dana, ["create", "-f", "-"], teamSecretDeleter);

  // admin grants more than edit: binding it is refused, naming each missing permission
  const bindAdmin = await dana([
    "create",
    "rolebinding",
    "erin-admin",
    "--clusterrole=admin",
    "--user=erin",
    "-n",
    "team",
  ]);
  assert.notEqual(bindAdmin.code, 0);
  assert.match(
    bindAdmin.stderr,
    new RegExp(escape(`rolebindings.rbac.authorization.k8s.io "erin-admin" is forbidden: ${held}\n`)),
  );
  assert.match(
    bindAdmin.stderr,
    /^\{APIGroups:\["authorization\.k8s\.io"\], Resources:\["localsubjectaccessreviews"\], Verbs:\["create"\]\}$/m,
  );
  assert.match(
    bindAdmin.stderr,
    /^\{APIGroups:\["rbac\.authorization\.k8s\.io"\], Resources:\["roles"\], Verbs:\["watch" "delete" "deletecollection"\]\}$/m,
  );

  // escalate on clusterroles: she may now write roles beyond her own rights
  await ok(s.admin, [
    "create",
    "clusterrole",
    "escalator",
    "--verb=escalate",
    "--resource=clusterroles.rbac.authorization.k8s.io",
  ]);
  await ok(s.admin, ["create", "clusterrolebinding", "dana-escalate", "--clusterrole=escalator", "--user=dana"]);
  await canI(dana, ["escalate", "clusterroles.rbac.authorization.k8s.io"], "yes");
  await ok(dana, ["create", "-f", "-"], secretDeleter);

  // bind on the ClusterRole admin, in team: she may bind admin there, and still not cluster-admin
  await ok(s.admin, [
    "create",
    "role",
    "admin-binder",
    "-n",
    "team",
    "--verb=bind",
    "--resource=clusterroles.rbac.authorization.k8s.io",
    "--resource-name=admin",
  ]);
  await ok(s.admin, ["create", "rolebinding", "dana-bind", "--role=admin-binder", "--user=dana", "-n", "team"]);
  await canI(dana, ["bind", "clusterroles.rbac.authorization.k8s.io/admin", "-n", "team"], "yes");
  await ok(dana, ["create", "rolebinding", "erin-admin", "--clusterrole=admin", "--user=erin", "-n", "team"]);
  const bindClusterAdmin = await dana([
    "create",
    "rolebinding",
    "erin-root",
    "--clusterrole=cluster-admin",
    "--user=erin",
    "-n",
    "team",
  ]);
  assert.notEqual(bindClusterAdmin.code, 0);
  assert.match(
    bindClusterAdmin.stderr,
    /rolebindings\.rbac\.authorization\.k8s\.io "erin-root" is forbidden: user "dana"/,
  );
  assert.match(bindClusterAdmin.stderr, /^\{APIGroups:\["\*"\], Resources:\["\*"\], Verbs:\["\*"\]\}$/m);
});

test("the cluster admin (system:masters) grants anything, and an aggregationRule needs cluster-admin", async (t) => {
  const s = await startSecuredApiServer(t);
  await ok(s.admin, ["create", "-f", "-"], secretDeleter);
  await ok(s.admin, ["apply", "-f", "-"], rbacWriter);
  await ok(s.admin, ["create", "clusterrolebinding", "dana-rbac", "--clusterrole=rbac-writer", "--user=dana"]);
  const dana = await s.as("dana", ["devs"]);
  await canI(dana, ["create", "clusterroles"], "yes");
  const aggregating = await dana(
    ["create", "-f", "-"],
    `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: gatherer}
aggregationRule: {clusterRoleSelectors: [{matchLabels: {team: a}}]}
rules: []
`,
  );
  assert.notEqual(aggregating.code, 0);
  assert.match(
    aggregating.stderr,
    /clusterroles\.rbac\.authorization\.k8s\.io "gatherer" is forbidden: must have cluster-admin privileges to use the aggregationRule/,
  );
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
