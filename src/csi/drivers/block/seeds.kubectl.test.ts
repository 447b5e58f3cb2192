// Issue 8's acceptance with the block driver (loop devices, ext4), everything `stowage up` runs, driven by the real
// kubectl exactly as the issue words it:
// - expansion: a 1Gi claim mounted by a running pod is patched with
//   `kubectl patch pvc … -p '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}'` → `df` on the volume shows
//   ~20G and `kubectl get pvc` shows 20Gi; a class without allowVolumeExpansion refuses the same patch with
//   upstream's message;
// - snapshots: write files, snapshot (no class: the block driver's default `block-snapshots`), write more, restore
//   into a new claim and clone the claim → each holds exactly the files of its moment; deleting the snapshot (Delete)
//   removes it in the driver.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { PersistentVolumeClaim, Pod } from "../../../api/core/types.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../../api/snapshot/types.js";
import { blockUnavailableReason, defaultUpComponents, nodeName } from "../../../e2e/parts.js";
import { eventually, startStowage, type Stowage } from "../../../e2e/stowage.js";
import { unmountUnder } from "../../../e2e/mounts.js";
import { CsiClient } from "../../client.js";

const run = promisify(execFile);
const GiB = 1024 ** 3;

const claim = (name: string, size: string, className = "block", dataSource = "") => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: ${name} }
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ${className}
  resources: { requests: { storage: ${size} } }${dataSource}
`;

const pod = (name: string, claimName: string) => `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  containers:
    - name: app
      image: busybox
      volumeMounts: [{ name: data, mountPath: /data }]
  volumes:
    - name: data
      persistentVolumeClaim: { claimName: ${claimName} }
`;

async function apply(s: Stowage, manifest: string): Promise<void> {
  const result = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(result.code, 0, result.stderr);
}

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

/** The host path where the node agent mounted the pod's claim (what the pod's container sees at /data). */
async function mountOf(s: Stowage, podName: string, claimName: string): Promise<string> {
  await s.kubectl("wait", `pod/${podName}`, "--for=condition=Ready", "--timeout=60s");
  const p = await getJson<Pod>(s, "pod", podName);
  const c = await getJson<PersistentVolumeClaim>(s, "pvc", claimName);
  const node = p.spec.nodeName ?? nodeName(1);
  return join(
    s.dataDir,
    "nodes",
    node,
    "pods",
    p.metadata.uid ?? "",
    "volumes",
    "kubernetes.io~csi",
    c.spec.volumeName ?? "",
    "mount",
  );
}

async function dfSize(path: string): Promise<number> {
  const { stdout } = await run("df", ["-B1", "--output=size", path]);
  return Number(stdout.trim().split("\n").pop());
}

/** The user's files (ext4's lost+found is the filesystem's, not the user's). */
async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name !== "lost+found") out[name] = await readFile(join(dir, name), "utf8");
  }
  return out;
}

async function startUp(t: Parameters<typeof startStowage>[0]): Promise<Stowage | undefined> {
  const unavailable = await blockUnavailableReason();
  if (unavailable) {
    t.skip(`block driver unavailable: ${unavailable}`);
    return undefined;
  }
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-block-seeds-"));
  const started: Stowage[] = [];
  t.after(async () => {
    for (const s of started) await s.stop();
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const s = await startStowage(t, { dataDir, components: defaultUpComponents() });
  started.push(s);
  return s;
}

test("seeds' expansion, block driver: patched to 20Gi while a pod uses it → df shows ~20G and kubectl get pvc 20Gi; refused without allowVolumeExpansion", async (t) => {
  const s = await startUp(t);
  if (!s) return;
  await apply(s, claim("db", "1Gi") + "---" + pod("db", "db"));
  const mount = await mountOf(s, "db", "db");
  const before = await dfSize(mount);
  assert.ok(before <= GiB, `df before: ${before}`);

  await s.kubectl("patch", "pvc", "db", "-p", '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}');
  await eventually(async () => {
    const c = await getJson<PersistentVolumeClaim>(s, "pvc", "db");
    return c.status?.capacity?.storage === "20Gi" ? c : undefined;
  }, 60_000);
  assert.match(await s.kubectl("get", "pvc", "db"), /^db\s+Bound\s+pvc-\S+\s+20Gi\s+RWO\s+block\s/m);
  const after = await dfSize(mount);
  assert.ok(after > 19.5 * GiB && after <= 20 * GiB, `df after: ${after} bytes (before ${before})`);
  const described = await s.kubectl("describe", "pvc", "db");
  assert.match(
    described,
    /Normal\s+ExternalExpanding\s+.*volume_expand\s+waiting for an external controller to expand this PVC/,
  );
  assert.match(described, /Normal\s+Resizing\s+.*External resizer is resizing volume pvc-/);
  assert.equal((await getJson<Pod>(s, "pod", "db")).status?.phase, "Running", "the pod kept running");

  // The same patch on a class that does not allow expansion: upstream's admission refusal, nothing changes.
  await apply(
    s,
    `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: fixed }
provisioner: block.csi.stowage.dev
volumeBindingMode: WaitForFirstConsumer
---` +
      claim("fixed", "1Gi", "fixed") +
      "---" +
      pod("fixed", "fixed"),
  );
  await s.kubectl("wait", "pod/fixed", "--for=condition=Ready", "--timeout=60s");
  const refused = await s.kubectlResult([
    "patch",
    "pvc",
    "fixed",
    "-p",
    '{"spec":{"resources":{"requests":{"storage":"20Gi"}}}}',
  ]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    // upstream's PersistentVolumeClaimResize admission plugin answers 403 Forbidden with these words.
    /^Error from server \(Forbidden\): persistentvolumeclaims "fixed" is forbidden: only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize/,
  );
  assert.match(await s.kubectl("get", "pvc", "fixed"), /^fixed\s+Bound\s+pvc-\S+\s+1Gi\s+RWO\s+fixed\s/m);
});

test("seeds' snapshot, block driver: restore and clone hold exactly the files of their moment; deleting the snapshot removes it in the driver", async (t) => {
  const s = await startUp(t);
  if (!s) return;
  await apply(s, claim("data", "64Mi") + "---" + pod("writer", "data"));
  const writerMount = await mountOf(s, "writer", "data");
  await writeFile(join(writerMount, "one"), "first\n");

  await apply(
    s,
    `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata: { name: snap }
spec:
  source: { persistentVolumeClaimName: data }
`,
  );
  await s.kubectl("wait", "volumesnapshot/snap", "--for=jsonpath={.status.readyToUse}=true", "--timeout=60s");
  const snapshot = await getJson<VolumeSnapshot>(s, "volumesnapshot", "snap");
  assert.equal(snapshot.spec.volumeSnapshotClassName, "block-snapshots");
  assert.match(
    await s.kubectl("get", "volumesnapshot", "snap"),
    /^snap\s+true\s+data\s+64Mi\s+block-snapshots\s+snapcontent-\S+\s+\S+\s+\S+\s*$/m,
  );
  const content = await getJson<VolumeSnapshotContent>(
    s,
    "volumesnapshotcontent",
    snapshot.status?.boundVolumeSnapshotContentName ?? "",
  );

  await writeFile(join(writerMount, "two"), "second\n");

  const fromSnapshot = `
  dataSource: { apiGroup: snapshot.storage.k8s.io, kind: VolumeSnapshot, name: snap }`;
  await apply(s, claim("restored", "64Mi", "block", fromSnapshot) + "---" + pod("restore-reader", "restored"));
  assert.deepEqual(await files(await mountOf(s, "restore-reader", "restored")), { one: "first\n" });

  const fromClaim = `
  dataSource: { kind: PersistentVolumeClaim, name: data }`;
  await apply(s, claim("cloned", "64Mi", "block", fromClaim) + "---" + pod("clone-reader", "cloned"));
  assert.deepEqual(await files(await mountOf(s, "clone-reader", "cloned")), { one: "first\n", two: "second\n" });

  await s.kubectl("delete", "volumesnapshot", "snap", "--timeout=60s");
  await s.kubectl("wait", `volumesnapshotcontent/${content.metadata.name}`, "--for=delete", "--timeout=30s");
  const csi = await CsiClient.connect(`unix://${join(s.dataDir, "csi", `block-${nodeName(1)}.sock`)}`);
  t.after(() => csi.close());
  const listed = await csi.controller.ListSnapshots({ snapshot_id: content.status?.snapshotHandle ?? "" });
  assert.deepEqual(listed.entries, []);
});
