// The RBAC kinds through the real kubectl: created with kubectl's own generators, listed with upstream's columns,
// and refused with upstream's words when a rule or a binding is malformed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startStowage } from "../../e2e/stowage.js";

test("kubectl create role, clusterrole and rolebinding make objects kubectl get prints as upstream", async (t) => {
  const stowage = await startStowage(t);
  await stowage.kubectl("create", "namespace", "team");
  await stowage.kubectl(
    "create",
    "role",
    "claim-reader",
    "-n",
    "team",
    "--verb=get,list,watch",
    "--resource=persistentvolumeclaims",
  );
  await stowage.kubectl(
    "create",
    "clusterrole",
    "pv-reader",
    "--verb=get",
    "--resource=persistentvolumes,storageclasses.storage.k8s.io",
  );
  await stowage.kubectl(
    "create",
    "rolebinding",
    "alice-reads-claims",
    "-n",
    "team",
    "--role=claim-reader",
    "--user=alice",
    "--group=auditors",
    "--serviceaccount=team:backup",
  );
  await stowage.kubectl("create", "clusterrolebinding", "bob-reads-pvs", "--clusterrole=pv-reader", "--user=bob");

  assert.match(
    await stowage.kubectl("get", "role", "-n", "team"),
    /^NAME\s+CREATED AT\nclaim-reader\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$/,
  );
  const role = JSON.parse(await stowage.kubectl("get", "clusterrole", "pv-reader", "-o", "json")) as {
    rules: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  };
  assert.deepEqual(role.rules, [
    { apiGroups: [""], resources: ["persistentvolumes"], verbs: ["get"] },
    { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get"] },
  ]);
  assert.match(
    await stowage.kubectl("get", "rolebinding", "-n", "team", "-o", "wide"),
    /^NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS\nalice-reads-claims\s+Role\/claim-reader\s+\S+\s+alice\s+auditors\s+team:backup\n$/,
  );
  assert.match(
    await stowage.kubectl("get", "clusterrolebinding", "bob-reads-pvs"),
    /bob-reads-pvs\s+ClusterRole\/pv-reader\s+/,
  );
});

test("a malformed rule or binding is refused with upstream's words and nothing is stored", async (t) => {
  const stowage = await startStowage(t);
  const apply = (yaml: string) => stowage.kubectlResult(["apply", "-f", "-"], { input: yaml });
  const rule = await apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: broken, namespace: default}
rules: [{verbs: [get], nonResourceURLs: ["/healthz"]}, {verbs: [], apiGroups: [""], resources: [pods]}]
`);
  assert.notEqual(rule.code, 0);
  assert.match(rule.stderr, /The Role "broken" is invalid/);
  assert.match(
    rule.stderr,
    /rules\[0\].nonResourceURLs: Invalid value: \["\/healthz"\]: namespaced rules cannot apply to non-resource URLs/,
  );
  assert.match(rule.stderr, /rules\[1\].verbs: Required value: verbs must contain at least one value/);

  const binding = await apply(`
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: broken}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: x}
subjects: [{kind: ServiceAccount, name: backup}]
`);
  assert.notEqual(binding.code, 0);
  assert.match(binding.stderr, /roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"/);
  assert.match(binding.stderr, /subjects\[0\].namespace: Required value/);
  const left = await stowage.kubectlResult(["get", "role,clusterrolebinding", "broken", "-n", "default"]);
  assert.match(left.stderr, /NotFound|not found/);
});
