// A newcomer's first claim with `stowage up`, through the real kubectl: everything `up` starts (controller-manager,
// scheduler, hostpath CSI driver + provisioner + attacher, node agent) with the default storage it creates, real
// bind mounts as root. The claim names no class, gets `standard`, waits for its first consumer, is provisioned on
// the pod's node, mounted at the kubelet's path, keeps its data across pods and across a resumed `up`, and is
// deleted with its volume (reclaimPolicy Delete). Nothing of ours stays mounted afterwards.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import { blockUnavailableReason, nodeName } from "./storage.js";
import { eventually, startStowage, type Stowage } from "../e2e/stowage.js";
import { isMountPoint, mountsUnder, unmountUnder } from "../e2e/mounts.js";
import { defaultUpComponents } from "./up.js";

const claim = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 64Mi
`;

const pod = (name: string) => `
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
        claimName: data
`;

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

async function apply(s: Stowage, manifest: string): Promise<void> {
  const result = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(result.code, 0, result.stderr);
}

/** The kubelet's publish path for a pod's CSI volume (pods/<uid>/volumes/kubernetes.io~csi/<pv>/mount). */
const publishPath = (dataDir: string, podUid: string, pv: string, node = nodeName(1)) =>
  join(dataDir, "nodes", node, "pods", podUid, "volumes", "kubernetes.io~csi", pv, "mount");

async function runningPod(s: Stowage, name: string): Promise<Pod> {
  await s.kubectl("wait", `pod/${name}`, "--for=condition=Ready", "--timeout=30s");
  return getJson<Pod>(s, "pod", name);
}

test("stowage up: a claim without a class gets standard, binds on the pod's node, is really mounted, survives pods and a resumed up, and is deleted with its volume", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-up-storage-"));
  const started: Stowage[] = [];
  // Even when an assertion fails half-way: stop everything, then unmount whatever is left, then remove the dir.
  t.after(async () => {
    for (const s of started) await s.stop();
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const blockOff = await blockUnavailableReason();
  const up = async () => {
    const s = await startStowage(t, { dataDir, components: defaultUpComponents() });
    started.push(s);
    return s;
  };

  const first = await up();
  // What `up` says it runs.
  const said = first.running.said.join("\n");
  assert.match(said, /hostpath CSI driver: unix:\/\/.*\/csi\/hostpath-stowage-node-1\.sock/);
  assert.match(said, /node stowage-node-1: running/);
  if (blockOff) assert.match(said, /block CSI driver: off \(/);

  // kubectl get sc: the default class as kind and k3s show it, plus block when the block driver runs.
  const classes = await first.kubectl("get", "sc");
  assert.match(
    classes,
    /^standard \(default\)\s+hostpath\.csi\.stowage\.dev\s+Delete\s+WaitForFirstConsumer\s+true\s/m,
  );
  if (blockOff) assert.doesNotMatch(classes, /^block\s/m);
  else {
    assert.match(classes, /^block\s+block\.csi\.stowage\.dev\s+Delete\s+WaitForFirstConsumer\s+true\s/m);
    assert.match(classes, /^block-movable\s+block\.csi\.stowage\.dev\s+Delete\s+WaitForFirstConsumer\s+true\s/m);
  }
  const hostpathDriver = await getJson<{ spec: Record<string, unknown> }>(
    first,
    "csidriver",
    "hostpath.csi.stowage.dev",
  );
  assert.equal(hostpathDriver.spec.attachRequired, false);
  assert.equal(hostpathDriver.spec.podInfoOnMount, true);
  // inline csi volumes too, as csi-driver-host-path's CSIDriver lists them
  assert.deepEqual(hostpathDriver.spec.volumeLifecycleModes, ["Persistent", "Ephemeral"]);
  // The node agent registered the driver: CSINode entry and topology label.
  const csiNode = await eventually(async () => {
    const n = await getJson<{ spec: { drivers: Array<{ name: string; nodeID: string }> } }>(
      first,
      "csinode",
      nodeName(1),
    );
    return n.spec.drivers.some((d) => d.name === "hostpath.csi.stowage.dev") ? n : undefined;
  });
  assert.equal(csiNode.spec.drivers.find((d) => d.name === "hostpath.csi.stowage.dev")?.nodeID, nodeName(1));
  const node = await getJson<{ metadata: { labels: Record<string, string> } }>(first, "node", nodeName(1));
  assert.equal(node.metadata.labels["topology.hostpath.csi.stowage.dev/node"], nodeName(1));

  // The claim alone: class standard, Pending with the WaitForFirstConsumer event.
  await apply(first, claim);
  const pending = await getJson<PersistentVolumeClaim>(first, "pvc", "data");
  assert.equal(pending.spec.storageClassName, "standard");
  const event = await eventually(async () => {
    const out = await first.kubectl(
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=data,reason=WaitForFirstConsumer",
      "-o",
      "jsonpath={.items[*].message}",
    );
    return out === "" ? undefined : out;
  });
  assert.match(event, /waiting for first consumer to be created before binding/);
  assert.equal((await getJson<PersistentVolumeClaim>(first, "pvc", "data")).status?.phase, "Pending");
  assert.equal((await first.kubectl("get", "pv", "-o", "name")).trim(), "");

  // A pod uses it: scheduled to the node, provisioned there, Bound, Running with the volume really mounted.
  await apply(first, pod("writer"));
  const writer = await runningPod(first, "writer");
  assert.equal(writer.spec?.nodeName, nodeName(1));
  const bound = await getJson<PersistentVolumeClaim>(first, "pvc", "data");
  const pvName = `pvc-${bound.metadata.uid}`;
  assert.equal(bound.status?.phase, "Bound");
  assert.equal(bound.spec.volumeName, pvName);
  assert.equal(bound.metadata.annotations?.["volume.kubernetes.io/selected-node"], nodeName(1));
  assert.match(
    await first.kubectl("get", "pvc", "data"),
    new RegExp(`^data\\s+Bound\\s+${pvName}\\s+64Mi\\s+RWO\\s+standard\\s`, "m"),
  );
  const pv = await getJson<PersistentVolume>(first, "pv", pvName);
  assert.equal(pv.spec.persistentVolumeReclaimPolicy, "Delete");
  assert.equal(pv.spec.csi?.driver, "hostpath.csi.stowage.dev");
  const volumeDir = join(dataDir, "csi", "hostpath", nodeName(1), "volumes", pv.spec.csi?.volumeHandle ?? "?");
  assert.ok(existsSync(volumeDir), `the driver's volume ${volumeDir} exists`);
  const writerMount = publishPath(dataDir, writer.metadata.uid ?? "", pvName);
  assert.ok(await isMountPoint(writerMount), `findmnt shows ${writerMount}`);
  await writeFile(join(writerMount, "greeting"), "hello from writer\n");

  // kubectl delete pod completes: the agent unmounts, then deletes the pod.
  await first.kubectl("delete", "pod", "writer", "--timeout=30s");
  assert.equal(await isMountPoint(writerMount), false);

  // A new pod with the same claim sees the file.
  await apply(first, pod("reader"));
  const reader = await runningPod(first, "reader");
  const readerMount = publishPath(dataDir, reader.metadata.uid ?? "", pvName);
  assert.ok(await isMountPoint(readerMount));
  assert.equal(await readFile(join(readerMount, "greeting"), "utf8"), "hello from writer\n");

  // The user changes the default class; a resumed `up` must keep that and duplicate nothing.
  await first.kubectl("annotate", "sc", "standard", "storageclass.kubernetes.io/is-default-class-", "team=storage");
  await first.stop();
  // Stopping unmounts nothing a running pod needs.
  assert.ok(await isMountPoint(readerMount), "the reader's volume stays mounted across the restart");

  const second = await up();
  const resumed = await second.kubectl("get", "sc", "-o", "name");
  assert.deepEqual(
    resumed.trim().split("\n").sort(),
    blockOff
      ? ["storageclass.storage.k8s.io/standard"]
      : [
          "storageclass.storage.k8s.io/block",
          "storageclass.storage.k8s.io/block-movable",
          "storageclass.storage.k8s.io/standard",
        ],
  );
  const standard = await getJson<{ metadata: { annotations?: Record<string, string> } }>(second, "sc", "standard");
  assert.equal(standard.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"], undefined);
  assert.equal(standard.metadata.annotations?.team, "storage");
  assert.equal((await getJson<PersistentVolumeClaim>(second, "pvc", "data")).status?.phase, "Bound");
  await runningPod(second, "reader");
  assert.ok(await isMountPoint(readerMount));
  assert.equal(await readFile(join(readerMount, "greeting"), "utf8"), "hello from writer\n");

  // Pod and claim deleted: reclaimPolicy Delete removes the PV and the driver's volume.
  await second.kubectl("delete", "pod", "reader", "--timeout=30s");
  assert.equal(await isMountPoint(readerMount), false);
  await second.kubectl("delete", "pvc", "data", "--timeout=30s");
  await second.kubectl("wait", `pv/${pvName}`, "--for=delete", "--timeout=30s");
  await eventually(() => (existsSync(volumeDir) ? undefined : true));
  await second.stop();
  assert.deepEqual(await mountsUnder(dataDir), [], "no mounts of ours remain after stop");
});

test("stowage up --nodes 2 --no-default-storage: two registered nodes, no default objects; a user's hostpath class provisions on the pod's node", async (t) => {
  const blockOff = await blockUnavailableReason();
  const s = await startStowage(t, { components: defaultUpComponents({ nodes: 2, defaultStorage: false }) });
  assert.match(s.running.said.join("\n"), /default storage: skipped \(--no-default-storage\)/);
  assert.equal((await s.kubectl("get", "sc", "-o", "name")).trim(), "");
  assert.equal((await s.kubectl("get", "csidrivers", "-o", "name")).trim(), "");
  // Every node registers every driver (CSINode entries).
  const expected = blockOff ? ["hostpath.csi.stowage.dev"] : ["block.csi.stowage.dev", "hostpath.csi.stowage.dev"];
  for (const node of [nodeName(1), nodeName(2)]) {
    const names = await eventually(async () => {
      const n = await getJson<{ spec: { drivers: Array<{ name: string }> } }>(s, "csinode", node);
      const names = n.spec.drivers.map((d) => d.name).sort();
      return names.length === expected.length ? names : undefined;
    });
    assert.deepEqual(names, expected);
  }
  const ready = await s.kubectl(
    "get",
    "nodes",
    "-o",
    'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}',
  );
  assert.equal(ready.trim(), `${nodeName(1)}=True ${nodeName(2)}=True`);

  // hostpath volumes are node-local: a pod pinned to the second node gets its volume made by that node's driver.
  await apply(
    s,
    `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: local}
provisioner: hostpath.csi.stowage.dev
volumeBindingMode: WaitForFirstConsumer
---
${claim.replace("spec:", "spec:\n  storageClassName: local")}
---
${pod("pinned").replace("spec:", `spec:\n  nodeSelector: {kubernetes.io/hostname: ${nodeName(2)}}`)}`,
  );
  const pinned = await runningPod(s, "pinned");
  assert.equal(pinned.spec?.nodeName, nodeName(2));
  const pv = await getJson<PersistentVolume>(
    s,
    "pv",
    (await getJson<PersistentVolumeClaim>(s, "pvc", "data")).spec.volumeName ?? "",
  );
  const handle = pv.spec.csi?.volumeHandle ?? "?";
  assert.ok(existsSync(join(s.dataDir, "csi", "hostpath", nodeName(2), "volumes", handle)));
  assert.ok(await isMountPoint(publishPath(s.dataDir, pinned.metadata.uid ?? "", pv.metadata.name ?? "", nodeName(2))));
  await s.kubectl("delete", "pod", "pinned", "--timeout=30s");
  await s.kubectl("delete", "pvc", "data", "--timeout=30s");
  await s.kubectl("wait", `pv/${pv.metadata.name}`, "--for=delete", "--timeout=30s");
  assert.equal(existsSync(join(s.dataDir, "csi", "hostpath", nodeName(2), "volumes", handle)), false);
});

test("stowage up as root with loop devices: a claim of class block is attached to the pod's node, mounted as ext4, detached and deleted", async (t) => {
  const blockOff = await blockUnavailableReason();
  if (blockOff) return t.skip(`block driver unavailable here: ${blockOff}`);
  const s = await startStowage(t, { components: defaultUpComponents() });
  await apply(s, claim.replace("spec:", "spec:\n  storageClassName: block"));
  await apply(s, pod("disk"));
  const running = await runningPod(s, "disk");
  const bound = await getJson<PersistentVolumeClaim>(s, "pvc", "data");
  const pvName = bound.spec.volumeName ?? "";
  assert.equal(pvName, `pvc-${bound.metadata.uid}`);
  // attachRequired: the attach-detach controller's VolumeAttachment, attached by the block driver's attacher.
  const attached = await s.kubectl(
    "get",
    "volumeattachments",
    "-o",
    "jsonpath={range .items[*]}{.spec.attacher} {.spec.source.persistentVolumeName} {.spec.nodeName} {.status.attached}{end}",
  );
  assert.equal(attached, `block.csi.stowage.dev ${pvName} ${running.spec?.nodeName} true`);
  const mount = join(
    s.dataDir,
    "nodes",
    running.spec?.nodeName ?? "",
    "pods",
    running.metadata.uid ?? "",
    "volumes",
    "kubernetes.io~csi",
    pvName,
    "mount",
  );
  const { stdout } = await promisify(execFile)("findmnt", ["-n", "-o", "FSTYPE,SOURCE", "--mountpoint", mount]);
  assert.match(stdout, /^ext4\s+\/dev\/loop\d+/);

  await s.kubectl("delete", "pod", "disk", "--timeout=30s");
  await eventually(
    async () => ((await s.kubectl("get", "volumeattachments", "-o", "name")).trim() === "" ? true : undefined),
    30_000,
  );
  await s.kubectl("delete", "pvc", "data", "--timeout=30s");
  await s.kubectl("wait", `pv/${pvName}`, "--for=delete", "--timeout=30s");
  assert.deepEqual(await mountsUnder(s.dataDir), []);
});
