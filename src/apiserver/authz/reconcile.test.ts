// Bootstrap policy on an existing store, as kube-apiserver reconciles it at start: a role or binding left to it
// (autoupdate "true") gets back what is missing; one a cluster admin marked autoupdate "false" keeps the edit.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterRole, ClusterRoleBinding } from "../../api/rbac/types.js";
import { MemoryStore } from "../../store/memory.js";
import { createApiServer } from "../server.js";
import { call } from "../testing/request.js";

const rbac = "/apis/rbac.authorization.k8s.io/v1";
const security = { authentication: { anonymous: false }, authorization: ["Node" as const, "RBAC" as const] };
const admin = { name: "admin", groups: ["system:masters"] };

async function start(store: MemoryStore) {
  const server = await createApiServer({ store, log: () => undefined, security });
  return { server, as: (request: Parameters<typeof server.handler>[0]) => server.handler({ ...request, user: admin }) };
}

test("a restart puts back the permissions and subjects an autoupdate bootstrap role or binding lost, and only those", async () => {
  const store = new MemoryStore();
  const first = await start(store);
  const role = (await call(first.as, "GET", `${rbac}/clusterroles/external-attacher-runner`)).body as ClusterRole;
  const full = role.rules ?? [];
  // an older stowage's role: without its last rule
  await call(first.as, "PUT", `${rbac}/clusterroles/external-attacher-runner`, { ...role, rules: full.slice(0, -1) });
  const binding = (await call(first.as, "GET", `${rbac}/clusterrolebindings/csi-attacher-role`))
    .body as ClusterRoleBinding;
  await call(first.as, "PUT", `${rbac}/clusterrolebindings/csi-attacher-role`, { ...binding, subjects: [] });
  // a cluster admin's own choice for system:discovery: autoupdate off and its rules removed
  const discovery = (await call(first.as, "GET", `${rbac}/clusterroles/system:discovery`)).body as ClusterRole;
  const edited = {
    ...discovery,
    metadata: { ...discovery.metadata, annotations: { "rbac.authorization.kubernetes.io/autoupdate": "false" } },
    rules: [],
  };
  await call(first.as, "PUT", `${rbac}/clusterroles/system:discovery`, edited);
  await first.server.close();

  const second = await start(store);
  const after = (await call(second.as, "GET", `${rbac}/clusterroles/external-attacher-runner`)).body as ClusterRole;
  assert.deepEqual(after.rules, full, "the missing rule is back, the others unchanged");
  const subjects = (
    (await call(second.as, "GET", `${rbac}/clusterrolebindings/csi-attacher-role`)).body as ClusterRoleBinding
  ).subjects;
  assert.deepEqual(subjects, binding.subjects, "the binding's ServiceAccount is back");
  const kept = (await call(second.as, "GET", `${rbac}/clusterroles/system:discovery`)).body as ClusterRole;
  assert.deepEqual(kept.rules ?? [], [], "autoupdate false: the admin's edit stays");
  await second.server.close();
});
