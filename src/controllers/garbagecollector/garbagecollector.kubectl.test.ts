// The garbage collector through `stowage up` and the real kubectl, on StatefulSets (Parallel, whenDeleted: Delete):
// --cascade=orphan leaves the pods and claims without their owner reference; --cascade=foreground removes pods and
// claims before the set itself; a set's claims under whenDeleted: Delete go with it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatefulSet } from "../../api/apps/types.js";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import { eventually, type Stowage } from "../../e2e/stowage.js";
import { startUpWorld } from "../../e2e/upworld.js";

const set = (name: string) => `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
spec:
  replicas: 2
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy:
    whenDeleted: Delete
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
        - name: app
          image: busybox
          volumeMounts:
            - name: data
              mountPath: /data
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 16Mi
`;

async function list<T>(s: Stowage, kind: string, app: string): Promise<T[]> {
  return (JSON.parse(await s.kubectl("get", kind, "-l", `app=${app}`, "-o", "json")) as { items: T[] }).items;
}

async function bothRunning(s: Stowage, app: string): Promise<void> {
  await eventually(async () => {
    const pods = await list<Pod>(s, "pods", app);
    return pods.length === 2 && pods.every((p) => p.status?.phase === "Running") ? true : undefined;
  }, 45_000);
}

test("garbage collection of a StatefulSet's pods and claims: orphan keeps them ownerless, foreground deletes them before the set", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const { s } = await startUpWorld(t, "stowage-gc-");
  for (const name of ["kept", "gone"]) {
    const applied = await s.kubectlResult(["apply", "-f", "-"], { input: set(name) });
    assert.equal(applied.code, 0, applied.stderr);
  }
  await bothRunning(s, "kept");
  await bothRunning(s, "gone");
  const claims = await list<PersistentVolumeClaim>(s, "pvc", "gone");
  assert.deepEqual(
    claims.map((c) => c.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller])),
    [[["StatefulSet", "gone", true]], [["StatefulSet", "gone", true]]],
  );

  // Orphan: the set goes at once; its pods and claims stay, no longer pointing at it.
  await s.kubectl("delete", "statefulset", "kept", "--cascade=orphan");
  await eventually(async () => {
    const result = await s.kubectlResult(["get", "statefulset", "kept"]);
    return result.code !== 0 ? true : undefined;
  }, 20_000);
  const orphans = [...(await list<Pod>(s, "pods", "kept")), ...(await list<PersistentVolumeClaim>(s, "pvc", "kept"))];
  assert.equal(orphans.length, 4);
  for (const o of orphans) assert.deepEqual(o.metadata.ownerReferences ?? [], [], `${o.metadata.name} is ownerless`);

  // Foreground: pods and claims go first, then the set.
  const deleting = await s.kubectlResult(["delete", "statefulset", "gone", "--cascade=foreground", "--wait=false"]);
  assert.equal(deleting.code, 0, deleting.stderr);
  const terminating = await eventually(async () => {
    const result = await s.kubectlResult(["get", "statefulset", "gone", "-o", "json"]);
    if (result.code !== 0) return "already gone";
    const current = JSON.parse(result.stdout) as StatefulSet;
    return current.metadata.deletionTimestamp ? (current.metadata.finalizers ?? []).join(",") : undefined;
  });
  if (terminating !== "already gone") assert.match(terminating, /foregroundDeletion/);
  await eventually(async () => {
    const result = await s.kubectlResult(["get", "statefulset", "gone"]);
    return result.code !== 0 ? true : undefined;
  }, 45_000);
  assert.deepEqual(await list<Pod>(s, "pods", "gone"), []);
  assert.deepEqual(await list<PersistentVolumeClaim>(s, "pvc", "gone"), []);
});
