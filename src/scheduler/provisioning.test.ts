// WaitForFirstConsumer with dynamic provisioning, end to end: the real hostpath CSI driver over gRPC, the
// provisioner sidecar, the PV controller and the scheduler against the real apiserver (nodes and CSINodes
// created through the API, as no node agent runs here).
import assert from "node:assert/strict";
import { test } from "node:test";
import { TOPOLOGY_KEY } from "../e2e/parts.js";
import { driverName, startWorld } from "../e2e/provisioner.js";
import { startScheduler } from "./scheduler.js";

test("a pod with a WaitForFirstConsumer claim of a CSI class is scheduled where allowedTopologies allow, its volume provisioned there first", async (t) => {
  const world = await startWorld(t);
  const { client } = world;
  const abort = new AbortController();
  const scheduler = await startScheduler({ client, log: () => undefined }, abort.signal);
  t.after(async () => {
    abort.abort();
    await scheduler.done;
  });
  for (const name of ["node-1", "node-2"]) {
    await client.nodes.create({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name, labels: { "kubernetes.io/hostname": name, [TOPOLOGY_KEY]: name } },
    });
    await client.csiNodes.create({
      apiVersion: "storage.k8s.io/v1",
      kind: "CSINode",
      metadata: { name },
      spec: { drivers: [{ name: driverName, nodeID: name, topologyKeys: [TOPOLOGY_KEY] }] },
    });
  }
  await client.storageClasses.create({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: "hostpath-node-1" },
    provisioner: driverName,
    volumeBindingMode: "WaitForFirstConsumer",
    allowedTopologies: [{ matchLabelExpressions: [{ key: TOPOLOGY_KEY, values: ["node-1"] }] }],
  });
  const manifest = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: hostpath-node-1
  resources:
    requests:
      storage: 1Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  containers:
    - name: app
      image: busybox
      volumeMounts:
        - name: data
          mountPath: /data
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: data
`;
  const applied = await world.stowage.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(applied.code, 0, applied.stderr);
  await world.stowage.kubectl("wait", "pod/app", "--for=jsonpath={.spec.nodeName}=node-1", "--timeout=30s");
  const claim = await client.persistentVolumeClaims.get("default", "data");
  assert.equal(claim.status?.phase, "Bound");
  assert.equal(claim.metadata.annotations?.["volume.kubernetes.io/selected-node"], "node-1");
  assert.equal(claim.spec.volumeName, `pvc-${claim.metadata.uid}`);
  const volume = await client.persistentVolumes.get(claim.spec.volumeName ?? "");
  assert.deepEqual(volume.spec.nodeAffinity?.required?.nodeSelectorTerms, [
    { matchExpressions: [{ key: TOPOLOGY_KEY, operator: "In", values: ["node-1"] }] },
  ]);
  assert.deepEqual(await world.volumeDirs(), [volume.spec.csi?.volumeHandle]);
});
