// Smallest-fit matching alone (not a test): the binder's VolumeIndex against a plain scan of every volume per
// claim (the shared findMatchingVolume of src/api/storagerules, upstream's FindMatchingVolume shape), both
// picking the same volumes.
//   node --import tsx bench/pvbinder-match.ts [--volumes 100000] [--claims 1000]
// Prints one JSON object per figure on stdout.
import { parseArgs } from "node:util";
import type { PersistentVolume, PersistentVolumeClaim } from "../src/api/core/types.js";
import { findMatchingVolume } from "../src/api/storagerules/fit.js";
import { VolumeIndex } from "../src/controllers/pvbinder/match.js";
import { CheckFailed, openBench } from "./lib/bench.js";

const { values: args } = parseArgs({
  options: {
    volumes: { type: "string" },
    claims: { type: "string", default: "1000" },
    quick: { type: "boolean", default: false },
  },
});
const volumeCount = Number(args.volumes ?? (args.quick ? 10_000 : 100_000));
const bench = openBench();
const claimCount = Number(args.claims);
const classes = ["", "gold", "silver"];
const sizes = ["1Gi", "2Gi", "5Gi", "10Gi", "20Gi", "50Gi", "100Gi"];

const volumes: PersistentVolume[] = Array.from({ length: volumeCount }, (_, i) => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: `pv-${i}`, resourceVersion: "1" },
  spec: {
    capacity: { storage: sizes[(i * 7919) % sizes.length] },
    accessModes: ["ReadWriteOnce"],
    storageClassName: classes[i % classes.length],
    hostPath: { path: `/tmp/pv-${i}` },
  },
  status: { phase: "Available" },
}));
const claims: PersistentVolumeClaim[] = Array.from({ length: claimCount }, (_, i) => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: `c-${i}`, namespace: "default", uid: `u-${i}` },
  spec: {
    accessModes: ["ReadWriteOnce"],
    storageClassName: classes[i % classes.length],
    resources: { requests: { storage: sizes[i % sizes.length] } },
  },
}));

let started = performance.now();
const index = new VolumeIndex();
for (const v of volumes) index.upsert(v);
for (const claim of claims.slice(0, classes.length)) index.findBestMatch(claim); // a bucket sorts on its first search
const loadMs = performance.now() - started;

// Index: find, then take the volume (as the binder's assume does), claim after claim.
started = performance.now();
const picked: string[] = [];
for (const claim of claims) {
  const v = index.findBestMatch(claim);
  if (!v) continue;
  picked.push(v.metadata.name ?? "");
  index.upsert({
    ...v,
    metadata: { ...v.metadata, resourceVersion: "2" },
    spec: { ...v.spec, claimRef: { name: claim.metadata.name, namespace: "default", uid: claim.metadata.uid } },
  });
}
const indexMs = performance.now() - started;

// Scan: every volume per claim, smallest fit (upstream's loop, without the access-mode index); a volume taken by
// an earlier claim is excluded, as the index's assume hides it.
started = performance.now();
const taken = new Set<string>();
const scanned: string[] = [];
for (const claim of claims) {
  const best = findMatchingVolume(claim, volumes, { excluded: taken });
  if (best) {
    taken.add(best.metadata.name ?? "");
    scanned.push(best.metadata.name ?? "");
  }
}
const scanMs = performance.now() - started;

// The check: the index picks exactly what the plain scan picks, claim by claim.
if (JSON.stringify(picked) !== JSON.stringify(scanned))
  throw new CheckFailed(
    `the index and the scan picked different volumes (${picked.length} vs ${scanned.length} picks)`,
  );
bench.figure({
  figure: "pvbinder_match.index_ms_per_claim",
  value: indexMs / claimCount,
  unit: "ms/claim",
  peer: { name: "plain scan of every volume, ms/claim", value: scanMs / claimCount },
  detail: { volumes: volumeCount, claims: claimCount, indexLoadMs: Math.round(loadMs) },
});
bench.finish();
