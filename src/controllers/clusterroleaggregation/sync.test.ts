// Which rules an aggregated ClusterRole gathers (rows checked against upstream's syncClusterRole), and one sync
// against the in-process apiserver.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ClusterRole, PolicyRule } from "../../api/rbac/types.js";
import { createClient, inProcessTransport } from "../../client/index.js";
import { syncedInformers } from "../../client/testing/informers.js";
import { eventually, startTestApiServer } from "../../e2e/apiserver.js";
import { clusterRoleResource } from "./controller.js";
import { aggregatedRules, syncClusterRole } from "./sync.js";

const read = (resource: string): PolicyRule => ({ verbs: ["get"], apiGroups: [""], resources: [resource] });
const role = (name: string, rules: PolicyRule[], labels?: Record<string, string>, gathers?: string): ClusterRole => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name, ...(labels ? { labels } : {}) },
  rules,
  ...(gathers ? { aggregationRule: { clusterRoleSelectors: [{ matchLabels: { [gathers]: "true" } }] } } : {}),
});

const rows: { name: string; roles: ClusterRole[]; want: PolicyRule[] }[] = [
  {
    name: "gathers the rules of the matching roles, by name, each rule once",
    roles: [
      role("view", [read("old")], {}, "to-view"),
      role("zeta", [read("pods"), read("secrets")], { "to-view": "true" }),
      role("alpha", [read("secrets")], { "to-view": "true" }),
      role("other", [read("nodes")]),
    ],
    want: [read("secrets"), read("pods")],
  },
  {
    name: "never gathers itself, even when it carries the label it selects",
    roles: [role("view", [read("old")], { "to-view": "true" }, "to-view")],
    want: [],
  },
];
for (const row of rows) test(row.name, () => assert.deepEqual(aggregatedRules(row.roles[0], row.roles), row.want));

test("a ClusterRole labelled to aggregate into another extends it, and the sync is a no-op once it has", async (t) => {
  const server = await startTestApiServer(t);
  const client = createClient(inProcessTransport(server.handler));
  const roles = client.resource(clusterRoleResource);
  await roles.create(role("gatherer", [], {}, "to-gatherer"));
  await roles.create(role("snapshots", [read("volumesnapshots")], { "to-gatherer": "true" }));
  const informers = await syncedInformers(t, client, (f) => f.informerFor(roles));
  const lister = informers.informerFor(roles);

  await syncClusterRole({ clusterRoles: roles, lister }, "gatherer");
  const gathered = await roles.get("gatherer");
  assert.deepEqual(gathered.rules, [read("volumesnapshots")]);

  await eventually(
    () => lister.get("gatherer")?.metadata.resourceVersion === gathered.metadata.resourceVersion,
    "the cache to see the write",
  );
  await syncClusterRole({ clusterRoles: roles, lister }, "gatherer");
  assert.equal((await roles.get("gatherer")).metadata.resourceVersion, gathered.metadata.resourceVersion);
});
