// Generic ephemeral volumes under runtime "process", through kubectl: the pod's volume is a claim "<pod>-<volume>"
// provisioned from its volumeClaimTemplate, owned by the pod, and gone with it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import { eventually, startProcessStowage } from "../../e2e/processruntime.js";

const pod = (name: string, script: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, '${script}']
      volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes:
    - name: scratch
      ephemeral:
        volumeClaimTemplate:
          metadata: {labels: {type: scratch}}
          spec:
            accessModes: [ReadWriteOnce]
            resources: {requests: {storage: 16Mi}}
`;

test("a pod with a generic ephemeral volume runs on its provisioned claim <pod>-<volume>, which goes with the pod", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(pod("scratchy", "echo hello > /scratch/file; cat /scratch/file"));
  const ran = await stowage.waitForPhase("scratchy", "Succeeded");
  assert.equal(await stowage.kubectl("logs", "scratchy"), "hello\n");

  const claim = JSON.parse(
    await stowage.kubectl("get", "pvc", "scratchy-scratch", "-o", "json"),
  ) as PersistentVolumeClaim;
  assert.equal(claim.status?.phase, "Bound");
  assert.deepEqual(
    claim.metadata.ownerReferences?.map((ref) => [ref.kind, ref.name, ref.uid, ref.controller]),
    [["Pod", "scratchy", ran.metadata.uid, true]],
  );
  assert.deepEqual(claim.metadata.labels, { type: "scratch" });

  await stowage.kubectl("delete", "pod", "scratchy", "--timeout=30s");
  await eventually(async () => {
    const left = await stowage.kubectlResult(["get", "pvc", "scratchy-scratch"]);
    return left.code !== 0 && /NotFound/.test(left.stderr) ? true : undefined;
  }, 30_000);
});
