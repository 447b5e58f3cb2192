// ClusterRole aggregation through the real kubectl against a secured apiserver (Node,RBAC) with the aggregation loop
// running: a ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-view=true puts its rules into view (and on
// into edit and admin), so `kubectl auth can-i --as` a viewer says yes; removing the label takes them out again.
import assert from "node:assert/strict";
import { test, type TestContext } from "node:test";
import { createClient, createInformerFactory, inProcessTransport } from "../../client/index.js";
import { ok, startSecuredApiServer, type Kubectl } from "../../e2e/parts.js";
import { eventually } from "../../e2e/stowage.js";
import { startClusterRoleAggregation } from "./controller.js";

/** A secured apiserver, the aggregation loop on an in-process client, and kubectl as the cluster admin. */
async function start(t: TestContext): Promise<Kubectl> {
  const server = await startSecuredApiServer(t);
  const stop = new AbortController();
  // the loop must write ClusterRoles beyond its own rights (upstream's controller role grants it escalate); a
  // system:masters identity keeps this test about aggregation
  const client = createClient(inProcessTransport(server.handler, { name: "aggregator", groups: ["system:masters"] }));
  const loop = await startClusterRoleAggregation(
    { client, informers: createInformerFactory(client), log: () => undefined },
    stop.signal,
  );
  t.after(async () => {
    stop.abort();
    await loop.done;
  });
  return server.admin;
}

/** Waits until `condition` holds (eventually() waits for a value other than undefined). */
const until = (condition: () => Promise<boolean>) => eventually(async () => (await condition()) || undefined, 10_000);

const snapshotViewer = `
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: snapshot-viewer
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- apiGroups: [snapshot.storage.k8s.io]
  resources: [volumesnapshots]
  verbs: [get, list, watch]
`;

test("a ClusterRole labelled aggregate-to-view extends view (and edit and admin) until the label goes", async (t) => {
  const kubectl = await start(t);
  await ok(kubectl, ["create", "rolebinding", "vera-view", "--clusterrole=view", "--user=vera"]);
  // can-i answers on stdout, and exits 1 for "no"
  const canViewerList = async () =>
    (await kubectl(["auth", "can-i", "list", "volumesnapshots.snapshot.storage.k8s.io", "--as", "vera"])).stdout.trim();
  assert.equal(await canViewerList(), "no");

  await ok(kubectl, ["apply", "-f", "-"], snapshotViewer);
  const resourcesOf = (role: string) =>
    ok(kubectl, ["get", "clusterrole", role, "-o", "jsonpath={.rules[*].resources}"]);
  const hasSnapshots = async (role: string) => (await resourcesOf(role)).includes("volumesnapshots");
  await until(
    async () => (await hasSnapshots("view")) && (await hasSnapshots("edit")) && (await hasSnapshots("admin")),
  );
  // view's own rules stay: pods are still readable
  assert.match(await resourcesOf("view"), /"pods"/);
  await until(async () => (await canViewerList()) === "yes");

  await ok(kubectl, ["label", "clusterrole", "snapshot-viewer", "rbac.authorization.k8s.io/aggregate-to-view-"]);
  await until(async () => !(await hasSnapshots("view")) && !(await hasSnapshots("admin")));
  await until(async () => (await canViewerList()) === "no");
});
