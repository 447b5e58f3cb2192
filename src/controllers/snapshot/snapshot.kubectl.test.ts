// The seeds' snapshot story through `stowage up` and the real kubectl, with real bind mounts: write files into a
// mounted claim, snapshot it (no class: the default `standard-snapshots`), write more, restore the snapshot into a
// new claim and clone the claim: each new claim, mounted by a pod, holds exactly the files of its moment. Deleting
// the snapshot (policy Delete) removes its content and the driver's snapshot.
import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { VolumeSnapshot, VolumeSnapshotContent } from "../../api/snapshot/types.js";
import { CsiClient, nodeName } from "../../e2e/parts.js";
import { eventually, type Stowage } from "../../e2e/stowage.js";
import { startUpWorld } from "../../e2e/upworld.js";

const claim = (name: string, dataSource = "") => `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: ${name}
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi${dataSource}
`;

const pod = (name: string, claimName: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
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
        claimName: ${claimName}
`;

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

async function apply(s: Stowage, manifest: string): Promise<void> {
  const result = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(result.code, 0, result.stderr);
}

/** Where the node agent mounted the pod's claim. */
async function mountOf(s: Stowage, podName: string, claimName: string): Promise<string> {
  await s.kubectl("wait", `pod/${podName}`, "--for=condition=Ready", "--timeout=30s");
  const p = await getJson<Pod>(s, "pod", podName);
  const c = await getJson<PersistentVolumeClaim>(s, "pvc", claimName);
  return join(
    s.dataDir,
    "nodes",
    nodeName(1),
    "pods",
    p.metadata.uid ?? "",
    "volumes",
    "kubernetes.io~csi",
    c.spec.volumeName ?? "",
    "mount",
  );
}

async function files(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(join(dir, name), "utf8");
  return out;
}

test("snapshot a mounted claim, restore it and clone the claim: each new claim has exactly the files of its moment; deleting the snapshot removes it in the driver", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const { s, dataDir } = await startUpWorld(t, "stowage-snapshot-");
  assert.match(s.running.said.join("\n"), /created VolumeSnapshotClass standard-snapshots \(default\)/);
  assert.match(
    await s.kubectl("get", "volumesnapshotclass"),
    /^standard-snapshots\s+hostpath\.csi\.stowage\.dev\s+Delete\s/m,
  );

  await apply(s, claim("data"));
  await apply(s, pod("writer", "data"));
  const writerMount = await mountOf(s, "writer", "data");
  await writeFile(join(writerMount, "one"), "first\n");

  // A snapshot without a class gets the driver's default and becomes ready.
  await apply(
    s,
    `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: snap
spec:
  source:
    persistentVolumeClaimName: data
`,
  );
  await s.kubectl("wait", "volumesnapshot/snap", "--for=jsonpath={.status.readyToUse}=true", "--timeout=30s");
  const snapshot = await getJson<VolumeSnapshot>(s, "volumesnapshot", "snap");
  assert.equal(snapshot.spec.volumeSnapshotClassName, "standard-snapshots");
  assert.equal(snapshot.status?.boundVolumeSnapshotContentName, `snapcontent-${snapshot.metadata.uid}`);
  assert.ok(snapshot.status?.creationTime, "creationTime is set");
  assert.ok(snapshot.status?.restoreSize, "restoreSize is set");
  assert.deepEqual(snapshot.metadata.finalizers?.sort(), [
    "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection",
    "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection",
  ]);
  const content = await getJson<VolumeSnapshotContent>(
    s,
    "volumesnapshotcontent",
    `snapcontent-${snapshot.metadata.uid}`,
  );
  assert.ok(content.status?.snapshotHandle, "the driver's snapshot handle is recorded");
  assert.equal(content.spec.deletionPolicy, "Delete");
  assert.match(
    await s.kubectl("get", "volumesnapshot", "snap"),
    new RegExp(`^snap\\s+true\\s+data\\s+\\S+\\s+standard-snapshots\\s+snapcontent-${snapshot.metadata.uid}\\s`, "m"),
  );
  // The source claim is no longer protected once the snapshot is cut.
  await eventually(async () => {
    const c = await getJson<PersistentVolumeClaim>(s, "pvc", "data");
    return c.metadata.finalizers?.includes("snapshot.storage.kubernetes.io/pvc-as-source-protection")
      ? undefined
      : true;
  });

  await writeFile(join(writerMount, "two"), "second\n");

  // Restore: the new claim holds only what was there at snapshot time.
  await apply(
    s,
    claim(
      "restored",
      `
  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: snap`,
    ),
  );
  await apply(s, pod("restore-reader", "restored"));
  assert.deepEqual(await files(await mountOf(s, "restore-reader", "restored")), { one: "first\n" });

  // Clone: the new claim holds both files.
  await apply(
    s,
    claim(
      "cloned",
      `
  dataSource:
    kind: PersistentVolumeClaim
    name: data`,
    ),
  );
  await apply(s, pod("clone-reader", "cloned"));
  assert.deepEqual(await files(await mountOf(s, "clone-reader", "cloned")), { one: "first\n", two: "second\n" });

  // A restore from a snapshot that does not exist stays Pending with upstream's ProvisioningFailed event.
  await apply(
    s,
    claim(
      "orphan",
      `
  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: missing`,
    ),
  );
  await apply(s, pod("orphan-reader", "orphan"));
  const failed = await eventually(async () => {
    const out = await s.kubectl(
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=orphan,reason=ProvisioningFailed",
      "-o",
      "jsonpath={.items[*].message}",
    );
    return out === "" ? undefined : out;
  });
  assert.match(failed, /error getting handle for DataSource Type VolumeSnapshot by Name missing/);
  assert.equal((await getJson<PersistentVolumeClaim>(s, "pvc", "orphan")).status?.phase, "Pending");

  // A restore smaller than the snapshot is refused with upstream's words and stays Pending.
  await apply(
    s,
    claim(
      "small",
      `
  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: snap`,
    ).replace("storage: 64Mi", "storage: 1Mi"),
  );
  await apply(s, pod("small-reader", "small"));
  const tooSmall = await eventually(async () => {
    const out = await s.kubectl(
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=small,reason=ProvisioningFailed",
      "-o",
      "jsonpath={.items[*].message}",
    );
    return out === "" ? undefined : out;
  });
  assert.match(tooSmall, /requested volume size 1048576 is less than the size 67108864 for the source snapshot snap/);

  // Deleting the snapshot (policy Delete) removes the content and the driver's snapshot.
  // While a claim is still being provisioned from it, volumesnapshot-as-source-protection holds the snapshot.
  await s.kubectl("delete", "volumesnapshot", "snap", "--wait=false");
  const held = await getJson<VolumeSnapshot>(s, "volumesnapshot", "snap");
  assert.ok(held.metadata.deletionTimestamp, "deletion requested");
  assert.ok(held.metadata.finalizers?.includes("snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"));
  await s.kubectl("delete", "pod", "small-reader", "orphan-reader", "--timeout=30s");
  await s.kubectl("delete", "pvc", "small", "orphan", "--timeout=30s");
  await s.kubectl("wait", "volumesnapshot/snap", "--for=delete", "--timeout=30s");
  await s.kubectl("wait", `volumesnapshotcontent/${content.metadata.name}`, "--for=delete", "--timeout=30s");
  const csi = await CsiClient.connect(`unix://${join(dataDir, "csi", `hostpath-${nodeName(1)}.sock`)}`);
  t.after(() => csi.close());
  const listed = await csi.controller.ListSnapshots({ snapshot_id: content.status?.snapshotHandle ?? "" });
  assert.deepEqual(listed.entries, []);
});
