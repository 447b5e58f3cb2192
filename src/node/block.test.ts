// Raw block claims (volumeMode: Block) through everything `stowage up` runs, with the block driver's loop devices:
// the pod's volumeDevices entry is a real block device of the claim's size at the kubelet's block paths, bytes
// written raw survive to the next pod and across a restarted up, and deleting the pods leaves no loop device,
// mount or directory behind.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdtemp, open, readlink, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { promisify } from "node:util";
import type { PersistentVolumeClaim, Pod } from "../api/core/types.js";
import { DRIVER_NAME, blockUnavailableReason, defaultUpComponents, nodeName } from "../e2e/parts.js";
import { eventually, startStowage, type Stowage } from "../e2e/stowage.js";
import { isMountPoint, mountEntriesUnder, mountsUnder, unmountUnder } from "../e2e/mounts.js";
import { inProcess, untilCounterMoves } from "../e2e/metrics.js";
import { csiDriverObject, deleteAllPods, pod as podOf, podEvents, startNodeTest } from "../e2e/node.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;

const claim = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: raw
spec:
  accessModes: [ReadWriteOnce]
  volumeMode: Block
  storageClassName: block
  resources:
    requests:
      storage: 32Mi
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
      volumeDevices:
        - name: data
          devicePath: /dev/xvda
  volumes:
    - name: data
      persistentVolumeClaim:
        claimName: raw
`;

const marker = "stowage raw block: written by the first pod";

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

async function apply(s: Stowage, manifest: string): Promise<void> {
  const result = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(result.code, 0, result.stderr);
}

/** Loop devices whose backing file is under dir (the block driver's volumes live in up's data dir). */
async function loopDevicesUnder(dir: string): Promise<string[]> {
  const { stdout } = await run("losetup", ["-n", "-O", "NAME,BACK-FILE", "-l"]);
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/, 2))
    .filter(([device, backing]) => device && backing?.startsWith(`${dir}/`))
    .map(([device]) => device);
}

interface Paths {
  /** pods/<uid>/volumeDevices/kubernetes.io~csi/<pv>: what the runtime gives the container at devicePath. */
  map: string;
  publish: string;
  staging: string;
}

function blockPaths(dataDir: string, podUid: string, pv: string): Paths {
  const root = join(dataDir, "nodes", nodeName(1));
  const devices = join(root, "plugins/kubernetes.io/csi/volumeDevices");
  return {
    map: join(root, "pods", podUid, "volumeDevices/kubernetes.io~csi", pv),
    publish: join(devices, "publish", pv, podUid),
    staging: join(devices, "staging", pv),
  };
}

async function runningPod(s: Stowage, name: string): Promise<Pod> {
  await s.kubectl("wait", `pod/${name}`, "--for=condition=Ready", "--timeout=40s");
  return getJson<Pod>(s, "pod", name);
}

async function setUp(t: TestContext) {
  const dataDir = await mkdtemp(join(tmpdir(), "stowage-node-block-"));
  const started: Stowage[] = [];
  t.after(async () => {
    for (const s of started) await s.stop();
    await unmountUnder(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  });
  const up = async () => {
    const s = await startStowage(t, { dataDir, components: defaultUpComponents() });
    started.push(s);
    return s;
  };
  return { dataDir, up };
}

/** Deletes the pod and waits until it is gone from the API (the agent confirms only after unmapping). */
async function deletePod(s: Stowage, name: string): Promise<void> {
  await s.kubectl("delete", "pod", name, "--wait=true", "--timeout=30s");
}

test("a Block claim is published to the pod as a real block device of the claim's size; raw bytes survive to a second pod; nothing is left after delete", async (t) => {
  const unavailable = await blockUnavailableReason();
  if (unavailable) return t.skip(`block driver unavailable: ${unavailable}`);
  const { dataDir, up } = await setUp(t);
  const s = await up();
  await apply(s, claim + "---" + pod("writer"));
  const writer = await runningPod(s, "writer");
  const pv = (await getJson<PersistentVolumeClaim>(s, "pvc", "raw")).spec.volumeName ?? "";
  assert.match(
    await s.kubectl("get", "pv", pv),
    new RegExp(`^${pv}\\s+32Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/raw\\s`, "m"),
  );
  const paths = blockPaths(dataDir, writer.metadata.uid ?? "", pv);

  // The kubelet's layout: a symlink in the pod's volumeDevices to the publish file, the device bound onto it.
  assert.ok((await lstat(paths.map)).isSymbolicLink(), "pods/<uid>/volumeDevices/kubernetes.io~csi/<pv> is a symlink");
  assert.equal(await readlink(paths.map), paths.publish);
  assert.ok(await isMountPoint(paths.publish), "the device is bound onto volumeDevices/publish/<pv>/<pod uid>");
  assert.ok((await stat(paths.staging)).isDirectory(), "staged at volumeDevices/staging/<pv>");
  const device = await stat(paths.map);
  assert.ok(device.isBlockDevice(), "the pod's device is a block device");
  const { stdout: size } = await run("blockdev", ["--getsize64", paths.map]);
  assert.equal(Number(size.trim()), 32 * MiB, "of the claim's size");

  // Raw bytes straight onto the device, no filesystem.
  const handle = await open(paths.map, "r+");
  await handle.write(Buffer.from(marker), 0, marker.length, 4096);
  await handle.sync();
  await handle.close();

  // Growing the claim grows the device the pod has (NodeExpandVolume with a block capability at the publish path).
  await s.kubectl("patch", "pvc", "raw", "-p", '{"spec":{"resources":{"requests":{"storage":"64Mi"}}}}');
  await eventually(async () => {
    const grown = await getJson<PersistentVolumeClaim>(s, "pvc", "raw");
    return grown.status?.capacity?.storage === "64Mi" ? grown : undefined;
  }, 30_000);
  const { stdout: grownSize } = await run("blockdev", ["--getsize64", paths.map]);
  assert.equal(Number(grownSize.trim()), 64 * MiB, "the pod's device grew with the claim");

  await deletePod(s, "writer");
  assert.equal(existsSync(paths.map), false, "the pod's symlink is gone");
  assert.equal(existsSync(paths.publish), false, "unpublished");
  await eventually(async () => ((await loopDevicesUnder(dataDir)).length === 0 ? true : undefined), 15_000);
  // The loop device goes inside NodeUnstageVolume; the staging directory right after it returns.
  await eventually(() => (existsSync(paths.staging) ? undefined : true), 10_000);

  await apply(s, pod("reader"));
  const reader = await runningPod(s, "reader");
  const readerPaths = blockPaths(dataDir, reader.metadata.uid ?? "", pv);
  const back = Buffer.alloc(marker.length);
  const readHandle = await open(readerPaths.map, "r");
  await readHandle.read(back, 0, marker.length, 4096);
  await readHandle.close();
  assert.equal(back.toString(), marker, "the second pod reads what the first wrote");

  await deletePod(s, "reader");
  await s.kubectl("delete", "pvc", "raw", "--wait=true", "--timeout=30s");
  await eventually(async () => ((await loopDevicesUnder(dataDir)).length === 0 ? true : undefined), 15_000);
  assert.deepEqual(await mountsUnder(dataDir), [], "no mount left");
  assert.equal(existsSync(join(dataDir, "nodes", nodeName(1), "plugins/kubernetes.io/csi/volumeDevices", pv)), false);
});

test("a restarted up finds a published Block claim from the kubelet's block paths: not published twice, torn down when the pod goes", async (t) => {
  const unavailable = await blockUnavailableReason();
  if (unavailable) return t.skip(`block driver unavailable: ${unavailable}`);
  const { dataDir, up } = await setUp(t);
  const first = await up();
  await apply(first, claim + "---" + pod("app"));
  const app = await runningPod(first, "app");
  const pv = (await getJson<PersistentVolumeClaim>(first, "pvc", "raw")).spec.volumeName ?? "";
  const paths = blockPaths(dataDir, app.metadata.uid ?? "", pv);
  const mountsBefore = await mountEntriesUnder(dataDir);
  await first.stop();
  // Stopping leaves volumes in place, as a kubelet restart does.
  assert.ok((await stat(paths.map)).isBlockDevice());

  const second = await up();
  await runningPod(second, "app");
  // Two full reconciler passes since the pod ran (one wholly after): it must not publish again (a second bind on the
  // same file), and by then it would have started to.
  const fullPasses = "stowage_volume_manager_reconciler_full_passes_total";
  await untilCounterMoves(inProcess, fullPasses, { node: nodeName(1) }, 2);
  assert.deepEqual(await mountEntriesUnder(dataDir), mountsBefore, "the same mounts, none doubled");
  assert.equal((await loopDevicesUnder(dataDir)).length, 1, "one loop device for the one volume");

  await deletePod(second, "app");
  assert.equal(existsSync(paths.map), false);
  assert.equal(existsSync(paths.publish), false);
  await eventually(async () => ((await loopDevicesUnder(dataDir)).length === 0 ? true : undefined), 15_000);
  await second.kubectl("delete", "pvc", "raw", "--wait=true", "--timeout=30s");
  assert.deepEqual(await mountsUnder(dataDir), []);
});

test("a driver that cannot serve raw block: the pod gets a FailedMapVolume event with the driver's error and waits", async (t) => {
  const node = await startNodeTest(t);
  await csiDriverObject(node);
  const { volume } = await node.driver.client.controller.CreateVolume({
    name: "dir-volume",
    capacity_range: { required_bytes: 1 << 20 },
    volume_capabilities: [{ mount: {}, access_mode: { mode: "SINGLE_NODE_WRITER" } }],
    parameters: {},
  });
  // A static PV that claims the directory volume is a raw block device.
  await node.client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "pv-raw" },
    spec: {
      capacity: { storage: "1Mi" },
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Block",
      persistentVolumeReclaimPolicy: "Retain",
      claimRef: { namespace: "default", name: "raw" },
      csi: { driver: DRIVER_NAME, volumeHandle: volume?.volume_id ?? "" },
    },
  });
  await node.client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "raw", namespace: "default" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      volumeMode: "Block",
      resources: { requests: { storage: "1Mi" } },
      volumeName: "pv-raw",
      storageClassName: "",
    },
  });
  await node.client.pods.create(podOf("raw-user", [{ name: "data", persistentVolumeClaim: { claimName: "raw" } }]));
  const event = await eventually(async () =>
    (await podEvents(node, "raw-user")).find((e) => e.startsWith("FailedMapVolume")),
  );
  assert.match(
    event,
    /^FailedMapVolume: MapVolume\.(SetUpDevice|MapPodDevice) failed for volume "pv-raw" : rpc error: code = InvalidArgument desc = .*access type block is not supported/,
  );
  assert.equal((await node.client.pods.get("default", "raw-user")).status?.phase, "Pending");
  await deleteAllPods(node);
  // Refused for certain, nothing was staged: nothing of it is left under plugins/.
  const devices = join(node.rootDir, "plugins/kubernetes.io/csi/volumeDevices");
  await eventually(() =>
    existsSync(join(devices, "pv-raw")) || existsSync(join(devices, "staging/pv-raw")) ? undefined : true,
  );
});
