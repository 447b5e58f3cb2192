// The seeds' local PersistentVolume under runtime "process", with two nodes, through kubectl: the volume is a
// directory on one node, so a pod using its claim is scheduled there and writes into that directory; a pod pinned
// to the other node cannot use the claim and stays Pending with the scheduler's reason.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { nodeName } from "../../e2e/parts.js";
import { eventually, startProcessStowage } from "../../e2e/processruntime.js";

const localVolume = (path: string) => `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local-storage}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv}
spec:
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-storage
  local: {path: ${path}}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [${nodeName(2)}]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: local-claim}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: local-storage
  resources: {requests: {storage: 1Gi}}
`;

const pod = (name: string, script: string, pinnedTo?: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  ${pinnedTo ? `nodeSelector: {kubernetes.io/hostname: ${pinnedTo}}` : ""}
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '${script}']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes:
    - {name: data, persistentVolumeClaim: {claimName: local-claim}}
`;

test("a pod using a local PV runs only on the volume's node and writes into its directory", async (t) => {
  const disk = await mkdtemp(join(tmpdir(), "stowage-local-disk-"));
  t.after(() => rm(disk, { recursive: true, force: true }));
  const stowage = await startProcessStowage(t, { nodes: 2 });
  await stowage.apply(localVolume(disk));
  await stowage.apply(pod("writer", "hostname > /data/written-by; cat /data/written-by"));
  const writer = await stowage.waitForPhase("writer", "Succeeded");
  assert.equal(writer.spec.nodeName, nodeName(2));
  assert.match(await stowage.kubectl("get", "pvc", "local-claim"), /^local-claim\s+Bound\s+local-pv\s/m);
  // The container wrote into the node's directory itself, not into a copy.
  assert.equal(await readFile(join(disk, "written-by"), "utf8"), "writer\n");
  await stowage.kubectl("delete", "pod", "writer", "--timeout=30s");

  // The claim is bound to a volume on node 2: a pod that must run on node 1 cannot have it.
  await stowage.apply(pod("elsewhere", "cat /data/written-by", nodeName(1)));
  const reason = await eventually(async () => {
    const events = await stowage.kubectl("get", "events", "--field-selector", "involvedObject.name=elsewhere");
    return /FailedScheduling/.test(events) ? events : undefined;
  });
  assert.match(reason, /volume node affinity conflict/);
  assert.equal((await stowage.pod("elsewhere")).status?.phase, "Pending");
});
