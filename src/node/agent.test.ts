// The node agent's Node, Lease and CSINode, as `kubectl get node` / `kubectl get csinode` users see them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { DRIVER_NAME, TOPOLOGY_KEY } from "../e2e/parts.js";
import { nodeName, startNodeTest } from "../e2e/node.js";

test("the agent registers a Ready Node with the kubelet's labels, a Lease in kube-node-lease, and its CSI driver in CSINode", async (t) => {
  const node = await startNodeTest(t);
  const registered = await node.client.nodes.get(nodeName);
  assert.equal(registered.metadata.labels?.["kubernetes.io/hostname"], nodeName);
  assert.equal(registered.metadata.labels?.["kubernetes.io/os"], "linux");
  assert.equal(registered.metadata.labels?.[TOPOLOGY_KEY], nodeName, "the driver's topology segment is a node label");
  assert.deepEqual(JSON.parse(registered.metadata.annotations?.["csi.volume.kubernetes.io/nodeid"] ?? "{}"), {
    [DRIVER_NAME]: nodeName,
  });
  const ready = registered.status?.conditions?.find((c) => c.type === "Ready");
  assert.equal(ready?.status, "True");
  assert.equal(ready?.reason, "KubeletReady");
  assert.equal(ready?.message, "kubelet is posting ready status");
  assert.ok(registered.status?.addresses?.some((a) => a.type === "InternalIP"));
  assert.ok(registered.status?.capacity?.pods);

  const lease = await node.client.leases.get("kube-node-lease", nodeName);
  assert.equal(lease.spec?.holderIdentity, nodeName);
  assert.equal(lease.spec?.leaseDurationSeconds, 40);
  assert.match(lease.spec?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);

  const csiNode = await node.client.csiNodes.get(nodeName);
  assert.deepEqual(csiNode.spec.drivers, [{ name: DRIVER_NAME, nodeID: nodeName, topologyKeys: [TOPOLOGY_KEY] }]);
  assert.equal(csiNode.metadata.ownerReferences?.[0].kind, "Node");

  const table = await node.stowage.kubectl("get", "node", nodeName);
  assert.match(table, new RegExp(`^${nodeName}\\s+Ready\\s`, "m"));
});
