// Under runtime "process", through kubectl, on one stowage: a generic ephemeral volume is a claim "<pod>-<volume>"
// provisioned from its volumeClaimTemplate, owned by the pod and gone with it; and a pod's fsGroup lets a non-root
// container write to a fresh claim and an emptyDir, and read a configMap, as the kubelet's ownership change does.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolumeClaim } from "../../api/core/types.js";
import { eventually, startProcessStowage, type ProcessStowage } from "../../e2e/processruntime.js";

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

async function genericEphemeralVolume(stowage: ProcessStowage) {
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
}

const nonRootWriter = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: fresh}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: secret-ish}
---
apiVersion: v1
kind: Pod
metadata: {name: nonroot}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 2000, fsGroupChangePolicy: OnRootMismatch}
  containers:
    - name: main
      image: busybox
      command:
        - sh
        - -c
        - >-
          id -u; id -G;
          echo written > /data/file && stat -c "%g %a" /data /data/file;
          echo scratch > /scratch/file && stat -c "%g" /scratch/file;
          cat /settings/mode; echo; stat -Lc "%g" /settings/mode
      volumeMounts: [{name: data, mountPath: /data}, {name: scratch, mountPath: /scratch}, {name: settings, mountPath: /settings}]
  volumes:
    - {name: data, persistentVolumeClaim: {claimName: fresh}}
    - {name: scratch, emptyDir: {}}
    - {name: settings, configMap: {name: settings, defaultMode: 0400}}
`;

/** The acceptance case: uid 1000 with fsGroup 2000 writes to a fresh claim (and an emptyDir), reads a 0400 key. */
async function nonRootWritesWithFSGroup(stowage: ProcessStowage) {
  await stowage.apply(nonRootWriter);
  await stowage.waitForPhase("nonroot", "Succeeded");
  const lines = (await stowage.kubectl("logs", "nonroot")).trim().split("\n");
  assert.deepEqual(lines, [
    "1000",
    "1000 2000",
    // The volume's root: group 2000, group rwx and setgid; a new file inherits the group.
    "2000 2775",
    "2000 644",
    "2000",
    "secret-ish",
    "2000",
  ]);
}

test("generic ephemeral volumes and fsGroup, under runtime process", async (t) => {
  const stowage = await startProcessStowage(t);
  await t.test(
    "a pod with a generic ephemeral volume runs on its provisioned claim <pod>-<volume>, which goes with the pod",
    () => genericEphemeralVolume(stowage),
  );
  await t.test("a container running as uid 1000 with fsGroup 2000 writes to a fresh claim", () =>
    nonRootWritesWithFSGroup(stowage),
  );
});
