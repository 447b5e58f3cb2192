// The seeds' persistence example under runtime "process", through kubectl: a pod writes through its claim, is
// deleted, and a new pod reads the same bytes; the same with an emptyDir starts empty again.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startProcessStowage } from "../../e2e/processruntime.js";

const claim = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 16Mi}}
`;

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
      volumeMounts: [{name: data, mountPath: /data}, {name: scratch, mountPath: /scratch}]
  volumes:
    - {name: data, persistentVolumeClaim: {claimName: data}}
    - {name: scratch, emptyDir: {}}
`;

test("data written through a claim outlives the pod; an emptyDir's does not", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(claim);
  await stowage.apply(pod("writer", "echo kept > /data/file; echo lost > /scratch/file; cat /data/file /scratch/file"));
  await stowage.waitForPhase("writer", "Succeeded");
  assert.equal(await stowage.kubectl("logs", "writer"), "kept\nlost\n");
  await stowage.kubectl("delete", "pod", "writer", "--timeout=30s");

  await stowage.apply(pod("reader", "cat /data/file; ls -A /scratch | wc -l"));
  await stowage.waitForPhase("reader", "Succeeded");
  assert.equal(await stowage.kubectl("logs", "reader"), "kept\n0\n");
  assert.match(await stowage.kubectl("get", "pvc", "data"), /^data\s+Bound\s+pvc-/m);
  await stowage.kubectl("delete", "pod", "reader", "--timeout=30s");
});
