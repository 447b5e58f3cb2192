// In-tree nfs volumes: a real `mount -t nfs`. No NFS server can serve a mount on this machine (see README: the
// kernel has no NFS client filesystem), so these tests cover what a user sees when the mount fails — the FailedMount
// text as mount-utils words it, naming the server — and that a server that never answers cannot hang the agent.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { promisify } from "node:util";
import { NodePaths } from "./paths.js";
import { VolumeOperationError } from "./plugins/context.js";
import { deleteAllPods, eventually, pod, podEvents, startNodeTest, waitForPhase } from "../e2e/node.js";
import {
  nfsMountArgs,
  nfsMountOptions,
  nfsSource,
  setNfsMountTimeout,
  setUpNfs,
  type NfsVolume,
} from "./plugins/nfs.js";

const run = promisify(execFile);

// TEST-NET-1 (RFC 5737): routable nowhere, so nothing ever answers.
const unreachable = "192.0.2.1";

async function mountNfsAvailable(): Promise<string | undefined> {
  try {
    await run("which", ["mount.nfs"]);
    return undefined;
  } catch {
    return "mount.nfs is not installed (apt-get install nfs-common)";
  }
}

/**
 * Where the kernel has an NFS client, mount.nfs waits minutes for an unreachable server before exit 32: a short
 * bound turns that into "signal: killed" quickly. (Here it fails at once: "mount.nfs: No such device".)
 */
function shortMountTimeout(t: TestContext): void {
  setNfsMountTimeout(3000);
  t.after(() => setNfsMountTimeout(60_000));
}

const volume = (name: string, extra: Partial<NfsVolume> = {}): NfsVolume => ({
  podUid: "0b1c2d3e-uid",
  outerName: name,
  innerName: name,
  plugin: "kubernetes.io/nfs",
  source: { server: unreachable, path: "/exports" },
  readOnly: false,
  mountOptions: [],
  ...extra,
});

test("mount arguments as the kubelet builds them: sorted unique options, ro for a read-only source, IPv6 in brackets", () => {
  assert.deepEqual(nfsMountArgs(nfsSource("nfs.example.com", "/data"), "/t", []), [
    "-t",
    "nfs",
    "nfs.example.com:/data",
    "/t",
  ]);
  assert.deepEqual(nfsMountOptions({ readOnly: true, mountOptions: ["nfsvers=4.1", "hard", "ro"] }), [
    "hard",
    "nfsvers=4.1",
    "ro",
  ]);
  assert.equal(nfsSource("fd00::1", "/x"), "[fd00::1]:/x");
});

test("a failed nfs mount reads as mount-utils words it, naming the server, and leaves no directory behind", async (t) => {
  const missing = await mountNfsAvailable();
  if (missing) return t.skip(missing);
  shortMountTimeout(t);
  const root = await mkdtemp(join(tmpdir(), "nfs-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  const paths = new NodePaths(root);
  const target = paths.podVolumeDir("0b1c2d3e-uid", "kubernetes.io/nfs", "share");
  const err = await setUpNfs({ paths }, volume("share", { readOnly: true }), "k").then(
    () => assert.fail("mounted an unreachable server"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VolumeOperationError);
  assert.match(
    err.message,
    new RegExp(
      `^MountVolume\\.SetUp failed for volume "share" : mount failed: (exit status 32|signal: killed)\\n` +
        `Mounting command: mount\\nMounting arguments: -t nfs -o ro ${unreachable}:/exports ${target}\\n` +
        `Output: `,
    ),
  );
  await assert.rejects(stat(target), { code: "ENOENT" });
});

test("a server that never answers is given up on after the mount timeout, and mount.nfs does not linger", async (t) => {
  const missing = await mountNfsAvailable();
  if (missing) return t.skip(missing);
  const root = await mkdtemp(join(tmpdir(), "nfs-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  setNfsMountTimeout(1500);
  t.after(() => setNfsMountTimeout(60_000));
  const paths = new NodePaths(root);
  // NFSv3 asks the server's portmapper first: with nobody there, mount.nfs retries for about two minutes.
  const err = await setUpNfs({ paths }, volume("slow", { mountOptions: ["nfsvers=3", "nolock"] }), "k").then(
    () => assert.fail("mounted an unreachable server"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VolumeOperationError);
  assert.match(err.message, /^MountVolume\.SetUp failed for volume "slow" : mount failed: signal: killed\n/);
  assert.match(err.message, new RegExp(`Mounting arguments: -t nfs -o nfsvers=3,nolock ${unreachable}:/exports `));
  const { stdout } = await run("ps", ["-eo", "args"]);
  assert.equal(
    stdout.split("\n").filter((line) => line.includes(root)).length,
    0,
    "no mount or mount.nfs process is left for our target",
  );
});

test("a pod with an nfs volume whose server is unreachable gets a FailedMount event naming the server and waits in ContainerCreating; other pods run", async (t) => {
  const missing = await mountNfsAvailable();
  if (missing) return t.skip(missing);
  shortMountTimeout(t);
  const node = await startNodeTest(t);
  await node.client.pods.create(pod("nfs-inline", [{ name: "share", nfs: { server: unreachable, path: "/exports" } }]));
  // The same through a PV and claim: the volume is named for the PV, with its mountOptions and the claim's readOnly.
  await node.client.persistentVolumes.create({
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name: "nfs-pv" },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      mountOptions: ["nfsvers=4.1"],
      claimRef: { namespace: "default", name: "shared" },
      nfs: { server: unreachable, path: "/exports/shared" },
    },
  });
  await node.client.persistentVolumeClaims.create({
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "shared", namespace: "default" },
    spec: {
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "1Gi" } },
      volumeName: "nfs-pv",
      storageClassName: "",
    },
  });
  await eventually(async () =>
    (await node.client.persistentVolumeClaims.get("default", "shared")).status?.phase === "Bound" ? true : undefined,
  );
  await node.client.pods.create(
    pod("nfs-claim", [{ name: "data", persistentVolumeClaim: { claimName: "shared", readOnly: true } }]),
  );
  await node.client.pods.create(pod("bystander", [{ name: "scratch", emptyDir: {} }]));
  await waitForPhase(node, "bystander", "Running");

  const inline = await eventually(async () =>
    (await podEvents(node, "nfs-inline")).find((e) => e.startsWith("FailedMount")),
  );
  assert.match(
    inline,
    new RegExp(
      `^FailedMount: MountVolume\\.SetUp failed for volume "share" : mount failed: (exit status 32|signal: killed)\\n` +
        `Mounting command: mount\\nMounting arguments: -t nfs ${unreachable}:/exports \\S+/volumes/kubernetes\\.io~nfs/share\\n`,
    ),
  );
  const claimed = await eventually(async () =>
    (await podEvents(node, "nfs-claim")).find((e) => e.startsWith("FailedMount")),
  );
  assert.match(
    claimed,
    new RegExp(
      `volume "nfs-pv" : mount failed: [^]*\\nMounting arguments: -t nfs -o nfsvers=4\\.1,ro ${unreachable}:/exports/shared `,
    ),
  );
  assert.match(await node.stowage.kubectl("get", "pod", "nfs-inline"), /^nfs-inline\s+0\/1\s+ContainerCreating\s/m);
  const described = await node.stowage.kubectl("describe", "pod", "nfs-inline");
  assert.match(
    described,
    new RegExp(
      `Warning\\s+FailedMount\\s+.*MountVolume\\.SetUp failed for volume "share" : mount failed: (exit status 32|signal: killed)`,
    ),
  );
  assert.match(described, new RegExp(`Mounting arguments: -t nfs ${unreachable}:/exports `));
  await deleteAllPods(node);
});

test(
  "stopping the agent during a mount that hangs on an unanswering server kills mount.nfs instead of waiting for it",
  { timeout: 40_000 },
  async (t) => {
    const missing = await mountNfsAvailable();
    if (missing) return t.skip(missing);
    const node = await startNodeTest(t);
    await node.client.persistentVolumes.create({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name: "slow-pv" },
      spec: {
        capacity: { storage: "1Gi" },
        accessModes: ["ReadWriteMany"],
        persistentVolumeReclaimPolicy: "Retain",
        // NFSv3 asks the server's portmapper first: with nobody there, mount.nfs retries for minutes.
        mountOptions: ["nfsvers=3", "nolock"],
        claimRef: { namespace: "default", name: "slow" },
        nfs: { server: unreachable, path: "/exports" },
      },
    });
    await node.client.persistentVolumeClaims.create({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "slow", namespace: "default" },
      spec: {
        accessModes: ["ReadWriteMany"],
        resources: { requests: { storage: "1Gi" } },
        volumeName: "slow-pv",
        storageClassName: "",
      },
    });
    await node.client.pods.create(pod("waits", [{ name: "data", persistentVolumeClaim: { claimName: "slow" } }]));
    const mounting = async () => {
      const { stdout } = await run("ps", ["-eo", "args"]);
      return stdout.split("\n").filter((line) => line.includes(node.rootDir) && line.includes("nfsvers=3"));
    };
    await eventually(async () => ((await mounting()).length > 0 ? true : undefined));
    await node.agent.stop();
    assert.deepEqual(await mounting(), [], "no mount or mount.nfs process outlives the agent");
  },
);
