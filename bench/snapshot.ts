// Snapshot and restore benchmark (not a test), with everything `stowage up` runs (SQLite store, controller-manager
// with the snapshot controller, scheduler, hostpath driver with provisioner and csi-snapshotter, one node agent with
// runtime none) in this process, driven through the in-process client:
//  1. --sources claims (default class `standard`: hostpath, WaitForFirstConsumer), each mounted by a pod, and
//     10 MiB of random bytes written into each through the pod's mount;
//  2. --snapshots VolumeSnapshots (default 100) of those claims, round robin: create → status.readyToUse;
//  3. as many restores: a claim with dataSource = one snapshot plus a pod mounting it (WaitForFirstConsumer needs the
//     consumer): claim create → Bound, and → pod Running.
// Each operation runs alone by default (--concurrency 1), so the figures are latencies, not queueing.
//   npx tsx bench/snapshot.ts [--sources 10] [--snapshots 100] [--concurrency 1] [--quick]
// Before any figure, checks every restore: mounted where its pod sees it and byte-identical to its source. Prints
// bench/lib/figure.ts's JSON lines: p50 in ms, with p90/p99/max and the stages each operation went through (snapshot:
// content created by the snapshot controller, content ready once the sidecar's CreateSnapshot returned — the
// hostpath driver runs `tar -c` of the volume; restore: the scheduler's selected-node, the PV once the provisioner's
// CreateVolume from the snapshot returned — `tar -x` —, Bound, Running). Needs root (real bind mounts).
import { createHash, randomBytes } from "node:crypto";
import { readFile, writeFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PersistentVolumeClaim, Pod } from "../src/api/core/types.js";
import { createClient } from "../src/client/index.js";
import { follow } from "./follow.js";
import { nodeName } from "../src/cli/storage.js";
import { mountsUnder, unmountUnder } from "../src/e2e/mounts.js";
import { defaultUpComponents, startUp } from "../src/cli/up.js";
import { checkMounted } from "./checks/mounts.js";
import { checkRestores } from "./checks/restore.js";
import { openBench } from "./lib/bench.js";
import { within } from "./lib/wait.js";

const { values: args } = parseArgs({
  options: {
    sources: { type: "string" },
    snapshots: { type: "string" },
    concurrency: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
  },
});
const sources = Number(args.sources ?? (args.quick ? 2 : 10));
const count = Number(args.snapshots ?? (args.quick ? 5 : 100));
/** Any one stage slower than this fails the bench (no figure): a stuck stage, not a slow one. */
const stageDeadlineMs = 120_000;
const bench = openBench();
const concurrency = Number(args.concurrency);
const ns = "default";
const size = 10 << 20;
const quiet = () => undefined;

const dir = await mkdtemp(join(tmpdir(), "bench-snap-"));
const running = await startUp({
  dataDir: dir,
  listen: "127.0.0.1:0",
  store: "sqlite",
  components: defaultUpComponents({ runtime: "none", block: "off" }),
  log: quiet,
});
const client = createClient(running.transport());

// First time each stage was seen, from watches started before anything is created (performance.now() ms).
const seen = new Map<string, number>();
const waiting = new Map<string, () => void>();
const mark = (key: string) => {
  if (seen.has(key)) return;
  seen.set(key, performance.now());
  waiting.get(key)?.();
};
const abort = new AbortController();
const signal = abort.signal;
await follow(client.pods, signal, (pod) => {
  if (pod.status?.phase === "Running") mark(`pod-running/${pod.metadata.name}`);
});
await follow(client.persistentVolumeClaims, signal, (claim) => {
  if (claim.metadata.annotations?.["volume.kubernetes.io/selected-node"]) mark(`claim-selected/${claim.metadata.name}`);
  if (claim.status?.phase === "Bound") mark(`claim-bound/${claim.metadata.name}`);
});
await follow(client.persistentVolumes, signal, (volume) => mark(`pv-created/${volume.spec.claimRef?.name}`));
await follow(client.volumeSnapshots, signal, (snapshot) => {
  if (snapshot.status?.readyToUse) mark(`snapshot-ready/${snapshot.metadata.name}`);
});
await follow(client.volumeSnapshotContents, signal, (content) => {
  const snapshot = content.spec.volumeSnapshotRef.name;
  mark(`content-created/${snapshot}`);
  if (content.status?.readyToUse) mark(`content-ready/${snapshot}`);
});

/** When the stage `key` was first seen, waiting for it if need be (at most stageDeadlineMs). */
async function until(key: string): Promise<number> {
  if (!seen.has(key)) await within(stageDeadlineMs, key, new Promise<void>((resolve) => waiting.set(key, resolve)));
  waiting.delete(key);
  return seen.get(key) ?? NaN;
}

const claim = (name: string, dataSource?: string): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: ns },
  spec: {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: "10Mi" } },
    ...(dataSource
      ? { dataSource: { apiGroup: "snapshot.storage.k8s.io", kind: "VolumeSnapshot", name: dataSource } }
      : {}),
  },
});
const pod = (name: string, claimName: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: ns },
  spec: {
    containers: [{ name: "app", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/data" }] }],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
  },
});

/** Where the node publishes a pod's claim: the bytes the pod sees. */
async function mountOf(podName: string, claimName: string): Promise<string> {
  const p = await client.pods.get(ns, podName);
  const c = await client.persistentVolumeClaims.get(ns, claimName);
  const node = join(dir, "nodes", nodeName(1), "pods", p.metadata.uid ?? "");
  return join(node, "volumes", "kubernetes.io~csi", c.spec.volumeName ?? "", "mount");
}

async function pool(n: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

const pct = (xs: number[], p: number) => {
  const sorted = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};
const summary = (xs: number[]) => ({
  p50: Math.round(pct(xs, 50)),
  p90: Math.round(pct(xs, 90)),
  p99: Math.round(pct(xs, 99)),
  max: Math.round(Math.max(...xs)),
});
const report = (figure: string, ms: number[], detail: Record<string, unknown>) =>
  bench.figure({ figure, value: pct(ms, 50), unit: "ms (p50)", detail: { ...summary(ms), ...detail } });

// 1. Sources with 10 MiB each, written through the pod's mount.
const digests: string[] = [];
const setupStart = performance.now();
for (let i = 0; i < sources; i++) {
  await client.persistentVolumeClaims.create(claim(`src-${i}`));
  await client.pods.create(pod(`writer-${i}`, `src-${i}`));
}
for (let i = 0; i < sources; i++) {
  await until(`pod-running/writer-${i}`);
  const bytes = randomBytes(size);
  digests.push(createHash("sha256").update(bytes).digest("hex"));
  await writeFile(join(await mountOf(`writer-${i}`, `src-${i}`), "data.bin"), bytes);
}
process.stderr.write(
  `snapshot setup: ${sources} sources mounted with 10 MiB each in ${((performance.now() - setupStart) / 1000).toFixed(1)} s\n`,
);

// 2. Snapshots: create → readyToUse.
const snapshotMs: number[] = [];
const toContent: number[] = [];
const contentReady: number[] = [];
const snapshotsStart = performance.now();
await pool(count, async (i) => {
  const name = `snap-${i}`;
  const started = performance.now();
  await client.volumeSnapshots.create({
    apiVersion: "snapshot.storage.k8s.io/v1",
    kind: "VolumeSnapshot",
    metadata: { name, namespace: ns },
    spec: { source: { persistentVolumeClaimName: `src-${i % sources}` } },
  });
  const ready = await until(`snapshot-ready/${name}`);
  snapshotMs.push(ready - started);
  const content = seen.get(`content-created/${name}`) ?? NaN;
  const contentDone = seen.get(`content-ready/${name}`) ?? NaN;
  toContent.push(content - started);
  contentReady.push(contentDone - content);
});
const snapshotsSeconds = (performance.now() - snapshotsStart) / 1000;
// VolumeSnapshot of a 10 MiB hostpath claim: create → readyToUse.
const snapshotFigure = () =>
  report("snapshot.ready_ms", snapshotMs, {
    snapshots: count,
    concurrency,
    perSecond: +(count / snapshotsSeconds).toFixed(1),
    stagesP50: {
      createdToContentCreated: Math.round(pct(toContent, 50)),
      contentCreatedToContentReady: Math.round(pct(contentReady, 50)),
      contentReadyToSnapshotReady: Math.round(
        pct(
          snapshotMs.map((ms, i) => ms - (toContent[i] ?? 0) - (contentReady[i] ?? 0)),
          50,
        ),
      ),
    },
  });

// 3. Restores: claim from a snapshot + a pod mounting it: → Bound, → Running.
const boundMs: number[] = [];
const runningMs: number[] = [];
const toSelected: number[] = [];
const selectedToPv: number[] = [];
const pvToBound: number[] = [];
const boundToRunning: number[] = [];
const restoresStart = performance.now();
await pool(count, async (i) => {
  const started = performance.now();
  await client.persistentVolumeClaims.create(claim(`restore-${i}`, `snap-${i}`));
  await client.pods.create(pod(`reader-${i}`, `restore-${i}`));
  const bound = await until(`claim-bound/restore-${i}`);
  const runningAt = await until(`pod-running/reader-${i}`);
  boundMs.push(bound - started);
  runningMs.push(runningAt - started);
  const selected = seen.get(`claim-selected/restore-${i}`) ?? NaN;
  const pv = seen.get(`pv-created/restore-${i}`) ?? NaN;
  toSelected.push(selected - started);
  selectedToPv.push(pv - selected);
  pvToBound.push(bound - pv);
  boundToRunning.push(runningAt - bound);
});
const restoresSeconds = (performance.now() - restoresStart) / 1000;
// Restore: a claim with a 10 MiB snapshot as dataSource (+ pod): create → claim Bound.
const restoreFigures = () => {
  report("snapshot.restore_bound_ms", boundMs, {
    restores: count,
    concurrency,
    perSecond: +(count / restoresSeconds).toFixed(1),
    stagesP50: {
      // WaitForFirstConsumer: the scheduler picks the node for the pod and annotates the claim.
      createdToSelectedNode: Math.round(pct(toSelected, 50)),
      // The provisioner's CreateVolume with the snapshot as content source (the driver untars it), then the PV.
      selectedNodeToPvCreated: Math.round(pct(selectedToPv, 50)),
      pvCreatedToBound: Math.round(pct(pvToBound, 50)),
    },
  });
  // Restore: claim + pod create → pod Running with the restored volume mounted.
  report("snapshot.restore_running_ms", runningMs, {
    restores: count,
    concurrency,
    // The node agent's stage and publish (bind mounts), then the pod's status.
    stagesP50: { claimBoundToPodRunning: Math.round(pct(boundToRunning, 50)) },
  });
};

// The checks: every restored volume is mounted where its pod sees it and holds its source's bytes at snapshot time
// (a bench that restores nothing, or the wrong thing, would be fast).
const readerMounts = await Promise.all(Array.from({ length: count }, (_, i) => mountOf(`reader-${i}`, `restore-${i}`)));
checkMounted(readerMounts, await mountsUnder(dir));
for (let i = 0; i < count; i++) {
  const got = await readFile(join(readerMounts[i], "data.bin"));
  checkRestores([{ name: `restore-${i}`, want: digests[i % sources], got }]);
}
snapshotFigure();
restoreFigures();
bench.finish();

abort.abort();
await running.stop();
await unmountUnder(dir);
await rm(dir, { recursive: true, force: true });
