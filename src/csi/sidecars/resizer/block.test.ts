// The seeds' expansion with the block driver (loop device, ext4), everything `stowage up` runs: a claim mounted by a
// running pod is patched bigger → ControllerExpandVolume grows the backing file, the node agent's NodeExpandVolume
// grows ext4 online, and `df` on the pod's mount shows the new size while `kubectl get pvc` shows the new CAPACITY.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { PersistentVolumeClaim, Pod } from "../../../api/core/types.js";
import { blockUnavailableReason, defaultUpComponents, nodeName } from "../../../e2e/parts.js";
import { eventually, startStowage, type Stowage } from "../../../e2e/stowage.js";
import { unmountUnder } from "../../../e2e/mounts.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;

const manifests = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: db
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: block
  resources:
    requests:
      storage: 64Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: db
spec:
  containers:
    - name: db
      image: busybox
      volumeMounts:
        - { name: data, mountPath: /var/lib/db }
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: db }
`;

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

/** Total bytes of the filesystem mounted at path, as `df` reports them. */
async function dfSize(path: string): Promise<number> {
  const { stdout } = await run("df", ["-B1", "--output=size", path]);
  return Number(stdout.trim().split("\n").pop());
}

test("block driver: a mounted ext4 claim patched bigger grows online: df on the pod's mount and kubectl get pvc show the new size", async (t) => {
  const unavailable = await blockUnavailableReason();
  if (unavailable) {
    t.skip(`block driver unavailable: ${unavailable}`);
    return;
  }
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-resizer-block-"));
  const started: Stowage[] = [];
  t.after(async () => {
    for (const s of started) await s.stop();
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const stowage = await startStowage(t, { dataDir, components: defaultUpComponents() });
  started.push(stowage);
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], { input: manifests });
  assert.equal(applied.code, 0, applied.stderr);
  await stowage.kubectl("wait", "pod/db", "--for=condition=Ready", "--timeout=45s");
  const pod = await getJson<Pod>(stowage, "pod", "db");
  const pvName = (await getJson<PersistentVolumeClaim>(stowage, "pvc", "db")).spec.volumeName ?? "";
  const mount = join(
    dataDir,
    "nodes",
    pod.spec.nodeName ?? nodeName(1),
    "pods",
    pod.metadata.uid ?? "",
    "volumes",
    "kubernetes.io~csi",
    pvName,
    "mount",
  );
  const before = await dfSize(mount);
  assert.ok(before <= 64 * MiB, `df before: ${before}`);

  await stowage.kubectl("patch", "pvc", "db", "-p", '{"spec":{"resources":{"requests":{"storage":"256Mi"}}}}');
  await eventually(async () => {
    const claim = await getJson<PersistentVolumeClaim>(stowage, "pvc", "db");
    return claim.status?.capacity?.storage === "256Mi" ? claim : undefined;
  }, 30_000);
  assert.match(await stowage.kubectl("get", "pvc", "db"), /^db\s+Bound\s+pvc-\S+\s+256Mi\s+RWO\s+block\s/m);
  const after = await dfSize(mount);
  assert.ok(after > 200 * MiB && after <= 256 * MiB, `df after: ${after} (before ${before})`);
  assert.equal(
    (await getJson<{ spec: { capacity: { storage: string } } }>(stowage, "pv", pvName)).spec.capacity.storage,
    "256Mi",
  );
});
