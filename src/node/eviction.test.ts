// emptyDir sizeLimit, enforced as the kubelet's eviction manager does: a pod whose emptyDir outgrows its limit is
// Evicted (event, Failed phase, reason and message as upstream, as kubectl shows them) and its volumes torn down;
// a pod within its limit keeps running. A Memory emptyDir is a tmpfs that refuses writes beyond sizeLimit.
import assert from "node:assert/strict";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { diskUsage, emptyDirMessage } from "./eviction.js";
import { containerProcesses, startProcessStowage } from "../e2e/processruntime.js";
import { deleteAllPods, eventually, nodeName, pod, podEvents, startNodeTest, waitForPhase } from "../e2e/node.js";
import { inProcess, untilCounterMoves } from "../e2e/metrics.js";

const KiB = 1024;
/** Two finished monitoring passes: one began after the writes before this call, and found what it found. */
const afterAWholePass = () =>
  untilCounterMoves(inProcess, "stowage_eviction_manager_passes_total", { node: nodeName }, 2);
const emptyDir = (root: string, uid: string, name: string) =>
  join(root, "pods", uid, "volumes", "kubernetes.io~empty-dir", name);

test("upstream's eviction message, trailing space included", () => {
  assert.equal(emptyDirMessage("scratch", "1Mi"), 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
});

test("disk usage counts allocated blocks, hard links once", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "du-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const empty = await diskUsage(dir);
  await writeFile(join(dir, "a"), Buffer.alloc(256 * KiB, 1));
  const withFile = await diskUsage(dir);
  assert.ok(withFile - empty >= BigInt(256 * KiB), `${withFile - empty} bytes counted for a 256 KiB file`);
  await writeFile(join(dir, "sparse"), "");
  const { truncate, link } = await import("node:fs/promises");
  await truncate(join(dir, "sparse"), 64 * 1024 * KiB); // 64 MiB of holes: nothing allocated
  await link(join(dir, "a"), join(dir, "b"));
  const after = await diskUsage(dir);
  assert.ok(after - withFile < BigInt(64 * KiB), `sparse file and hard link added ${after - withFile} bytes`);
  assert.equal(await diskUsage(join(dir, "missing")), 0n);
});

test("a pod whose emptyDir exceeds its sizeLimit is Evicted with upstream's event and status; one within its limit keeps running", async (t) => {
  const node = await startNodeTest(t, { evictionIntervalMs: 200 });
  const hog = await node.client.pods.create(
    pod("hog", [{ name: "scratch", emptyDir: { sizeLimit: "1024Ki" } }]), // canonical form: "1Mi"
  );
  const modest = await node.client.pods.create(pod("modest", [{ name: "scratch", emptyDir: { sizeLimit: "1Mi" } }]));
  await waitForPhase(node, "hog", "Running");
  await waitForPhase(node, "modest", "Running");
  const hogDir = emptyDir(node.rootDir, hog.metadata.uid ?? "", "scratch");
  await writeFile(join(hogDir, "within"), Buffer.alloc(512 * KiB, 1));
  await writeFile(
    join(emptyDir(node.rootDir, modest.metadata.uid ?? "", "scratch"), "within"),
    Buffer.alloc(512 * KiB, 1),
  );
  // A monitoring pass has looked since the writes; nobody is over the limit yet.
  await afterAWholePass();
  assert.equal((await node.client.pods.get("default", "hog")).status?.phase, "Running");

  await writeFile(join(hogDir, "over"), Buffer.alloc(1024 * KiB, 2));
  const evicted = await waitForPhase(node, "hog", "Failed");
  const message = 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ';
  assert.equal(evicted.status?.reason, "Evicted");
  assert.equal(evicted.status?.message, message);
  assert.deepEqual(
    evicted.status?.conditions?.filter((c) => c.type === "Ready").map((c) => `${c.status}/${c.reason}`),
    ["False/PodFailed"],
  );
  assert.equal(evicted.status?.containerStatuses?.[0].state?.terminated?.exitCode, 137, "its container is stopped");
  const events = await eventually(async () => {
    const list = await podEvents(node, "hog");
    return list.some((e) => e.startsWith("Evicted:")) ? list : undefined;
  });
  assert.ok(events.includes(`Evicted: ${message}`), events.join("\n"));

  // What a user sees. kubectl's STATUS column prefers a terminated container's reason over the pod's: an evicted
  // pod whose killed container exited 137 shows "Error" in 1.32, as upstream's (kubernetes#105467); describe says why.
  assert.match(await node.stowage.kubectl("get", "pod", "hog"), /^hog\s+0\/1\s+Error\s+0\s/m);
  const described = await node.stowage.kubectl("describe", "pod", "hog");
  assert.match(described, /^Status:\s+Failed$/m);
  assert.match(described, /^Reason:\s+Evicted$/m);
  assert.match(described, /Warning\s+Evicted\s+.*Usage of EmptyDir volume "scratch" exceeds the limit "1Mi"\./);

  // A Failed pod needs no volumes: the emptyDir and its data go; the other pod is untouched.
  await eventually(async () => ((await stat(hogDir).catch(() => undefined)) ? undefined : true));
  assert.equal((await node.client.pods.get("default", "modest")).status?.phase, "Running");
  await deleteAllPods(node);
});

test("a Memory emptyDir is a tmpfs of its sizeLimit: writing beyond it fails with ENOSPC", async (t) => {
  const node = await startNodeTest(t, { evictionIntervalMs: 200 });
  const created = await node.client.pods.create(
    pod("ram", [{ name: "scratch", emptyDir: { medium: "Memory", sizeLimit: "256Ki" } }]),
  );
  await waitForPhase(node, "ram", "Running");
  const dir = emptyDir(node.rootDir, created.metadata.uid ?? "", "scratch");
  await writeFile(join(dir, "fits"), Buffer.alloc(128 * KiB, 1));
  await assert.rejects(writeFile(join(dir, "too-big"), Buffer.alloc(512 * KiB, 1)), { code: "ENOSPC" });
  await afterAWholePass();
  assert.equal((await node.client.pods.get("default", "ram")).status?.phase, "Running", "never over: not evicted");
  await deleteAllPods(node);
});

test("runtime process: a container filling its emptyDir past sizeLimit is stopped and its pod Evicted", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(`
apiVersion: v1
kind: Pod
metadata: {name: filler}
spec:
  containers:
    - name: app
      image: busybox
      command: [sh, -c, 'dd if=/dev/zero of=/scratch/fill bs=64k count=32 2>/dev/null; echo filled; exec sleep 1000']
      volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes: [{name: scratch, emptyDir: {sizeLimit: 1Mi}}]
`);
  // up's agent checks every 10 s, as the kubelet's evictionMonitoringPeriod.
  const evicted = await stowage.waitForPhase("filler", "Failed", 40);
  assert.equal(evicted.status?.reason, "Evicted");
  assert.equal(evicted.status?.message, 'Usage of EmptyDir volume "scratch" exceeds the limit "1Mi". ');
  await eventually(async () => ((await containerProcesses(stowage.dataDir)).length === 0 ? true : undefined), 15_000);
  // Once the container is gone the pod keeps saying why it failed: the pod worker has written the runtime's record
  // of the exit (the eviction's own status names no containerID) and the pod is still Failed/Evicted.
  const after = await eventually(async () => {
    const current = await stowage.pod("filler");
    return current.status?.containerStatuses?.[0].state?.terminated?.containerID ? current : undefined;
  }, 15_000);
  assert.deepEqual([after.status?.phase, after.status?.reason], ["Failed", "Evicted"]);
  assert.ok(after.status?.containerStatuses?.[0].state?.terminated, "the container shows terminated");
  const described = await stowage.kubectl("describe", "pod", "filler");
  assert.match(described, /Warning\s+Evicted\s+.*Usage of EmptyDir volume "scratch" exceeds the limit "1Mi"\./);
  assert.match(described, /Normal\s+Killing\s+.*Stopping container app/);
  assert.match(await stowage.kubectl("logs", "filler"), /^filled$/m, "the container ran until it was stopped");
});
