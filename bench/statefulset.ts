// StatefulSet benchmark (not a test): a 3-replica set with one claim each (the default `standard` class: hostpath
// CSI, WaitForFirstConsumer), from `create` to every pod Running, for OrderedReady and Parallel, several runs each.
// Everything `stowage up` runs (SQLite store, controller-manager, scheduler, hostpath driver + provisioner, one node
// agent with runtime none), in this process; the set is created through the in-process client.
// Checked before any figure: every pod Running with its claim data-<pod> Bound to a PV of its own whose claimRef
// points back at it; a run past its deadline fails with no figure.
//   node --import tsx bench/statefulset.ts [--runs 5] [--replicas 3] [--quick]
// Prints each run on stderr and one figure line per policy (median seconds) with where the time went, per pod:
// pod created → scheduled (the scheduler waits for the WaitForFirstConsumer claim: selected-node, provisioner
// CreateVolume, PV, binder), scheduled → Running (node agent stage/publish and status), and for OrderedReady the
// controller's reaction (pod n created after pod n-1 Running). Needs root (real bind mounts).
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { PodManagementPolicyType, StatefulSet } from "../src/api/apps/types.js";
import type { Pod } from "../src/api/core/types.js";
import { createClient } from "../src/client/index.js";
import { follow } from "./follow.js";
import { unmountUnder } from "../src/e2e/mounts.js";
import { defaultUpComponents, startUp } from "../src/cli/up.js";
import { BenchTimeout, CheckFailed, openBench } from "./lib/bench.js";

const { values: args } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    replicas: { type: "string", default: "3" },
    quick: { type: "boolean", default: false },
  },
});
const runs = args.quick ? 1 : Number(args.runs);
const bench = openBench();
const replicas = Number(args.replicas);
const quiet = () => undefined;

const dir = await mkdtemp(join(tmpdir(), "bench-sts-"));
const running = await startUp({
  dataDir: dir,
  listen: "127.0.0.1:0",
  store: "sqlite",
  components: defaultUpComponents({ runtime: "none", block: "off" }),
  log: quiet,
});
const client = createClient(running.transport());

// When each pod and claim reached each stage, from watches started before any set exists (ms, performance.now()).
const seen = new Map<string, number>();
const mark = (key: string) => {
  if (!seen.has(key)) seen.set(key, performance.now());
};
const abort = new AbortController();
await follow(client.pods, abort.signal, (pod) => {
  const name = pod.metadata.name ?? "";
  mark(`pod-created/${name}/${pod.metadata.uid}`);
  if (pod.spec.nodeName) mark(`pod-scheduled/${name}/${pod.metadata.uid}`);
  if (pod.status?.phase === "Running") mark(`pod-running/${name}/${pod.metadata.uid}`);
});
await follow(client.persistentVolumeClaims, abort.signal, (claim) => {
  if (claim.status?.phase === "Bound") mark(`claim-bound/${claim.metadata.name}`);
});

function statefulSet(name: string, policy: PodManagementPolicyType): StatefulSet {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: "default" },
    spec: {
      replicas,
      serviceName: name,
      podManagementPolicy: policy,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: "db", image: "mysql:8.0", volumeMounts: [{ name: "data", mountPath: "/data" }] }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "64Mi" } } },
        },
      ],
      // The claims go with the set, so runs do not pile volumes up on the node.
      persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" },
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const secs = (ms: number) => +(ms / 1000).toFixed(3);
const at = (prefix: string, name: string, uid?: string) =>
  uid === undefined
    ? seen.get(`${prefix}/${name}`)
    : [...seen].find(([key]) => key === `${prefix}/${name}/${uid}`)?.[1];

/** Each pod's claim Bound to a PV of its own whose claimRef points back at the claim. */
async function checkClaims(pods: Pod[]): Promise<void> {
  const claims = new Map(
    (await client.persistentVolumeClaims.list({ namespace: "default" })).items.map((c) => [c.metadata.name, c]),
  );
  const volumes = new Map((await client.persistentVolumes.list()).items.map((v) => [v.metadata.name, v]));
  const taken = new Set<string>();
  for (const pod of pods) {
    const claim = claims.get(`data-${pod.metadata.name}`);
    const volume = volumes.get(claim?.spec.volumeName);
    const why =
      claim?.status?.phase !== "Bound"
        ? `claim ${claim?.status?.phase ?? "missing"}`
        : volume?.spec.claimRef?.uid !== claim.metadata.uid
          ? `volume ${claim.spec.volumeName} does not point back at the claim`
          : taken.has(claim.spec.volumeName ?? "")
            ? `volume ${claim.spec.volumeName} bound twice`
            : undefined;
    if (why) throw new CheckFailed(`pod ${pod.metadata.name}: ${why}`);
    taken.add(claim?.spec.volumeName ?? "");
  }
}

async function runOnce(policy: PodManagementPolicyType, run: number) {
  const name = `${policy === "Parallel" ? "par" : "ord"}${run}`;
  const started = performance.now();
  await client.statefulSets.create(statefulSet(name, policy));
  let pods: Pod[] = [];
  const deadline = Date.now() + 60_000 + replicas * 20_000;
  for (;;) {
    pods = (await client.pods.list({ namespace: "default", labelSelector: `app=${name}` })).items;
    if (pods.length === replicas && pods.every((p) => at("pod-running", p.metadata.name ?? "", p.metadata.uid))) break;
    if (Date.now() > deadline) throw new BenchTimeout(`${name}: ${pods.length} pods, not all Running in time`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await checkClaims(pods);
  const allRunning = Math.max(...pods.map((p) => at("pod-running", p.metadata.name ?? "", p.metadata.uid) ?? NaN));
  const sorted = [...pods].sort((a, b) =>
    (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "", "en", { numeric: true }),
  );
  const runningOf = (p: Pod) => at("pod-running", p.metadata.name ?? "", p.metadata.uid) ?? NaN;
  const perPod = sorted.map((p, i) => {
    const pod = p.metadata.name ?? "";
    const created = at("pod-created", pod, p.metadata.uid) ?? NaN;
    const scheduled = at("pod-scheduled", pod, p.metadata.uid) ?? NaN;
    const previous = i > 0 ? sorted[i - 1] : undefined;
    return {
      pod,
      createdAfterStart: secs(created - started),
      // The scheduler holds a WaitForFirstConsumer pod until its claim is provisioned and bound.
      createdToScheduled: secs(scheduled - created),
      claimBoundAfterCreated: secs((at("claim-bound", `data-${pod}`) ?? NaN) - created),
      scheduledToRunning: secs(runningOf(p) - scheduled),
      // OrderedReady: how long the controller took to create this pod once the previous one was Running.
      createdAfterPreviousRunning: previous ? secs(created - runningOf(previous)) : null,
    };
  });
  // Clean up before the next run (foreground: pods and, by the retention policy, claims go first).
  await client.statefulSets.delete("default", name, { propagationPolicy: "Foreground" });
  for (;;) {
    const left = await client.persistentVolumeClaims.list({ namespace: "default" });
    const volumes = await client.persistentVolumes.list();
    if (left.items.length === 0 && volumes.items.length === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { seconds: secs(allRunning - started), perPod };
}

for (const policy of ["OrderedReady", "Parallel"] as const) {
  const results: Awaited<ReturnType<typeof runOnce>>[] = [];
  for (let run = 1; run <= runs; run++) {
    const result = await runOnce(policy, run);
    results.push(result);
    const line = { bench: "statefulset", policy, run, ...result, loadavg1: +loadavg()[0].toFixed(2) };
    process.stderr.write(JSON.stringify(line) + "\n");
  }
  const stage = (key: "createdToScheduled" | "scheduledToRunning" | "createdAfterPreviousRunning") =>
    secs(1000 * median(results.flatMap((r) => r.perPod.flatMap((p) => (p[key] === null ? [] : [p[key]])))));
  bench.figure({
    figure: `statefulset.${policy === "Parallel" ? "parallel" : "ordered_ready"}.median_seconds`,
    value: median(results.map((r) => r.seconds)),
    unit: "s",
    detail: {
      what: `${replicas}-replica StatefulSet, one hostpath claim each (WaitForFirstConsumer), create → all pods Running`,
      runs,
      minSeconds: Math.min(...results.map((r) => r.seconds)),
      maxSeconds: Math.max(...results.map((r) => r.seconds)),
      podCreatedToScheduled: stage("createdToScheduled"),
      podScheduledToRunning: stage("scheduledToRunning"),
      podCreatedAfterPreviousRunning: stage("createdAfterPreviousRunning"),
    },
  });
}

abort.abort();
await running.stop();
await unmountUnder(dir);
await rm(dir, { recursive: true, force: true });
bench.finish();
