// Issue 21's "Recreate: the pod moves and finds its data", with real node agents: `stowage up --nodes 2 --runtime
// process`, a Deployment with a ReadWriteOnce claim on the movable block class, and its pod moved to the other node
// with kubectl. The old pod goes first, the disk is unmounted, detached from node 1 and attached to node 2, and the
// new pod reads what the old one wrote. (volumes.test.ts has the same hand-over with stand-in kubelets.)
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../api/core/types.js";
import { blockUnavailableReason } from "../../e2e/parts.js";
import { eventually, startProcessStowage, type ProcessStowage } from "../../e2e/processruntime.js";

const manifest = (node: string) => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: block-movable
  resources: {requests: {storage: 16Mi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  replicas: 1
  selector: {matchLabels: {app: db}}
  strategy: {type: Recreate}
  template:
    metadata: {labels: {app: db}}
    spec:
      nodeSelector: {kubernetes.io/hostname: ${node}}
      terminationGracePeriodSeconds: 2
      containers:
        - name: db
          image: busybox
          env: [{name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}]
          command: [sh, -c, 'echo "written on $NODE" >> /data/log; cat /data/log; exec sleep 3600']
          volumeMounts: [{name: data, mountPath: /data}]
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
`;

async function runningPodOn(s: ProcessStowage, node: string): Promise<Pod> {
  return eventually(async () => {
    const list = JSON.parse(await s.kubectl("get", "pods", "-l", "app=db", "-o", "json")) as { items: Pod[] };
    return list.items.find(
      (p) => p.spec.nodeName === node && p.status?.phase === "Running" && !p.metadata.deletionTimestamp,
    );
  }, 90_000);
}

test("Recreate moves a pod with a ReadWriteOnce movable block claim to the other node, and it finds its data", async (t) => {
  const unavailable = await blockUnavailableReason();
  if (unavailable) return t.skip(`block driver unavailable: ${unavailable}`);
  const s = await startProcessStowage(t, { nodes: 2 });
  await s.apply(manifest("stowage-node-1"));
  const first = await runningPodOn(s, "stowage-node-1");
  const firstName = first.metadata.name ?? "";
  await eventually(async () =>
    (await s.kubectl("logs", firstName)) === "written on stowage-node-1\n" ? true : undefined,
  );
  // No node affinity on the PV: nothing ties the data to node 1.
  const pvName = (await s.kubectl("get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}")).trim();
  assert.equal(await s.kubectl("get", "pv", pvName, "-o", "jsonpath={.spec.nodeAffinity}"), "");

  await s.kubectl(
    "patch",
    "deployment",
    "db",
    "--type=merge",
    "-p",
    '{"spec":{"template":{"spec":{"nodeSelector":{"kubernetes.io/hostname":"stowage-node-2"}}}}}',
  );
  const rolled = await s.kubectl("rollout", "status", "deployment/db", "--timeout=90s");
  assert.match(rolled, /deployment "db" successfully rolled out\n$/);
  const moved = await runningPodOn(s, "stowage-node-2");
  assert.notEqual(moved.metadata.name, firstName);
  const movedName = moved.metadata.name ?? "";
  await eventually(async () =>
    (await s.kubectl("logs", movedName)) === "written on stowage-node-1\nwritten on stowage-node-2\n"
      ? true
      : undefined,
  );
  const attachments = await s.kubectl("get", "volumeattachments", "-o", "jsonpath={.items[*].spec.nodeName}");
  assert.equal(attachments.trim(), "stowage-node-2");

  await s.kubectl("delete", "deployment", "db", "--timeout=60s");
  await s.kubectl("wait", "pods", "-l", "app=db", "--for=delete", "--timeout=60s");
  await s.kubectl("delete", "pvc", "data", "--timeout=60s");
  await s.kubectl("wait", `pv/${pvName}`, "--for=delete", "--timeout=60s");
});
