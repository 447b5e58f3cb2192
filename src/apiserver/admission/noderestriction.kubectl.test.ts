// NodeRestriction through the real kubectl against a secured apiserver (Node,RBAC): node n1's identity
// (system:node:n1 in system:nodes) may change its own Node and the status of its own pods, and is refused, in
// upstream's words, on node n2, on the status of a pod bound to n2, on restricted labels and on its taints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ok, startSecuredApiServer } from "../testing/secured.js";

const world = `
apiVersion: v1
kind: Node
metadata: {name: n1}
---
apiVersion: v1
kind: Node
metadata: {name: n2}
---
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: default}
spec: {nodeName: n1, containers: [{name: app, image: busybox}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p2, namespace: default}
spec: {nodeName: n2, containers: [{name: app, image: busybox}]}
`;

/** The pod with status Running, for `kubectl replace --subresource=status` (a node may not GET pods/status to patch). */
const runningPod = (name: string, node: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: default}
spec: {nodeName: ${node}, containers: [{name: app, image: busybox}]}
status: {phase: Running}
`;
const setRunning = ["replace", "--subresource=status", "-f", "-"];

test("a node may change only its own Node and its own pods' status, and no restricted label or taint", async (t) => {
  const s = await startSecuredApiServer(t);
  await ok(s.admin, ["apply", "-f", "-"], world);
  const n1 = await s.as("system:node:n1", ["system:nodes"]);

  const other = await n1([
    "patch",
    "node",
    "n2",
    "--type=merge",
    "-p",
    '{"metadata":{"labels":{"example.com/rack":"a"}}}',
  ]);
  assert.notEqual(other.code, 0);
  assert.match(other.stderr, /nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"/);

  const othersPod = await n1(setRunning, runningPod("p2", "n2"));
  assert.notEqual(othersPod.code, 0);
  assert.match(
    othersPod.stderr,
    /pods "p2" is forbidden: node "n1" can only update pod status for pods with spec\.nodeName set to itself/,
  );

  const restricted = await n1(["label", "node", "n1", "node-restriction.kubernetes.io/trusted=yes"]);
  assert.notEqual(restricted.code, 0);
  assert.match(
    restricted.stderr,
    /nodes "n1" is forbidden: is not allowed to modify labels: node-restriction\.kubernetes\.io\/trusted/,
  );
  const kubernetesLabel = await n1(["label", "node", "n1", "kubernetes.io/role=control-plane"]);
  assert.match(kubernetesLabel.stderr, /is not allowed to modify labels: kubernetes\.io\/role/);
  const taint = await n1(["taint", "node", "n1", "dedicated=db:NoSchedule"]);
  assert.match(taint.stderr, /nodes "n1" is forbidden: node "n1" is not allowed to modify taints/);

  // its own: a label of its own and one the kubelet sets, and its own pod's status
  await ok(n1, ["label", "node", "n1", "example.com/rack=a", "topology.kubernetes.io/zone=z1"]);
  await ok(n1, setRunning, runningPod("p1", "n1"));
  const node = JSON.parse(await ok(s.admin, ["get", "node", "n1", "-o", "json"])) as {
    metadata: { labels: Record<string, string> };
  };
  assert.equal(node.metadata.labels["example.com/rack"], "a");
  assert.equal(node.metadata.labels["node-restriction.kubernetes.io/trusted"], undefined);
  assert.equal(await ok(s.admin, ["get", "pod", "p1", "-o", "jsonpath={.status.phase}"]), "Running");
  assert.equal(await ok(s.admin, ["get", "pod", "p2", "-o", "jsonpath={.status.phase}"]), "Pending");
  // the admin is no node: nothing restricts it
  await ok(s.admin, ["label", "node", "n2", "node-restriction.kubernetes.io/trusted=yes"]);
});
