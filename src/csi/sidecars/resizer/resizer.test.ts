// Expansion with everything `stowage up` runs (hostpath driver, provisioner, resizer, node agent, real bind mounts,
// real kubectl): a claim mounted by a running pod is patched bigger → the resizer calls ControllerExpandVolume,
// grows the PV, hands over to the node (FileSystemResizePending / NodeResizePending), the node agent finishes with
// NodeExpandVolume and `kubectl get pvc` shows the new CAPACITY. A class without allowVolumeExpansion refuses it.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim } from "../../../api/core/types.js";
import { eventually, startStowage, type Stowage } from "../../../e2e/stowage.js";
import { unmountUnder } from "../../../e2e/mounts.js";
import { defaultUpComponents } from "../../../e2e/parts.js";

const manifests = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fixed
provisioner: hostpath.csi.stowage.dev
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: false
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: fixed
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: fixed
  resources:
    requests:
      storage: 64Mi
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
        - { name: data, mountPath: /data }
        - { name: fixed, mountPath: /fixed }
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: data }
    - name: fixed
      persistentVolumeClaim: { claimName: fixed }
`;

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

async function events(s: Stowage, name: string, reason: string): Promise<string | undefined> {
  const out = await s.kubectl(
    "get",
    "events",
    "--field-selector",
    `involvedObject.name=${name},reason=${reason}`,
    "-o",
    "jsonpath={.items[*].message}",
  );
  return out === "" ? undefined : out;
}

test("a mounted claim patched bigger: PV grows, claim goes Resizing → FileSystemResizePending → new CAPACITY; a class without allowVolumeExpansion refuses", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-resizer-"));
  const started: Stowage[] = [];
  // Even when an assertion fails half-way: stop everything, then unmount whatever is left, then remove the dir.
  t.after(async () => {
    for (const s of started) await s.stop();
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const stowage = await startStowage(t, { dataDir, components: defaultUpComponents() });
  started.push(stowage);
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: manifests });
  assert.equal(applied.code, 0, applied.stderr);
  await stowage.kubectl("wait", "pod/app", "--for=condition=Ready", "--timeout=30s");
  const bound = await getJson<PersistentVolumeClaim>(stowage, "pvc", "data");
  assert.equal(bound.status?.phase, "Bound");
  assert.equal(bound.status?.capacity?.storage, "64Mi");
  const pvName = bound.spec.volumeName ?? "";

  // Watch the claim's conditions go by while it is resized.
  const watch = stowage.kubectlBackground(
    "get",
    "pvc",
    "data",
    "-w",
    "-o",
    "jsonpath={.status.conditions[*].type} {.status.allocatedResourceStatuses.storage}{'\\n'}",
  );
  // The watch is on once kubectl printed the claim as it is now; patching before that could let it miss Resizing.
  await eventually(() => (watch.output().includes("\n") ? true : undefined));
  await stowage.kubectl("patch", "pvc", "data", "-p", '{"spec":{"resources":{"requests":{"storage":"128Mi"}}}}');

  const grown = await eventually(async () => {
    const claim = await getJson<PersistentVolumeClaim>(stowage, "pvc", "data");
    return claim.status?.capacity?.storage === "128Mi" ? claim : undefined;
  }, 20_000);
  await eventually(() => (/FileSystemResizePending NodeResizePending/.test(watch.output()) ? true : undefined));
  await watch.stop();
  const seen = watch.output();
  assert.match(seen, /Resizing ControllerResizeInProgress/);
  assert.match(seen, /FileSystemResizePending NodeResizePending/);
  // Finished: no conditions left, the request is what was allocated, nothing in progress.
  assert.deepEqual(grown.status?.conditions ?? [], []);
  assert.equal(grown.status?.allocatedResources?.storage, "128Mi");
  assert.equal(grown.status?.allocatedResourceStatuses?.storage, undefined);
  const pv = await getJson<PersistentVolume>(stowage, "pv", pvName);
  assert.equal(pv.spec.capacity?.storage, "128Mi");
  assert.match(await stowage.kubectl("get", "pvc", "data"), /^data\s+Bound\s+pvc-\S+\s+128Mi\s+RWO\s+standard\s/m);

  assert.equal(
    await eventually(() => events(stowage, "data", "Resizing")),
    `External resizer is resizing volume ${pvName}`,
  );
  assert.equal(
    await eventually(() => events(stowage, "data", "FileSystemResizeRequired")),
    "Require file system resize of volume on node",
  );
  assert.match(
    await eventually(() => events(stowage, "app", "FileSystemResizeSuccessful")),
    new RegExp(`MountVolume.NodeExpandVolume succeeded for volume "${pvName}"`),
  );

  // allowVolumeExpansion: false → admission refuses, nothing changes.
  const refused = await stowage.kubectlResult([
    "patch",
    "pvc",
    "fixed",
    "-p",
    '{"spec":{"resources":{"requests":{"storage":"128Mi"}}}}',
  ]);
  assert.notEqual(refused.code, 0);
  assert.match(
    refused.stderr,
    /only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/,
  );
  const fixed = await getJson<PersistentVolumeClaim>(stowage, "pvc", "fixed");
  assert.equal(fixed.spec.resources?.requests?.storage, "64Mi");
  assert.equal(fixed.status?.capacity?.storage, "64Mi");
});
