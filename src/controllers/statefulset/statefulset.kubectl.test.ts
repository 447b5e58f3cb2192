// The seeds' StatefulSet mysql through `stowage up` and the real kubectl: three pods, each mounting its own claim
// data-mysql-<n> from the default class; a deleted pod comes back with the same claim and data; scaling down keeps
// claims under the default Retain policy and deletes them under whenScaled: Delete (through the garbage
// collector); deleting the set removes its pods.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import type { StatefulSet } from "../../api/apps/types.js";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import { nodeName } from "../../e2e/parts.js";
import { eventually, type Stowage } from "../../e2e/stowage.js";
import { startWorld, patchMysql } from "../../e2e/statefulset.js";

const manifest = join(import.meta.dirname, "testdata", "mysql.yaml");

async function getJson<T>(s: Stowage, ...args: string[]): Promise<T> {
  return JSON.parse(await s.kubectl("get", ...args, "-o", "json")) as T;
}

const publishPath = (dataDir: string, pod: Pod, pv: string) =>
  join(dataDir, "nodes", nodeName(1), "pods", pod.metadata.uid ?? "", "volumes", "kubernetes.io~csi", pv, "mount");

const isReady = (pod: Pod) =>
  pod.status?.phase === "Running" &&
  (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");

async function podNames(s: Stowage): Promise<string[]> {
  const pods = await getJson<{ items: Pod[] }>(s, "pods", "-l", "app=mysql");
  return pods.items.map((p) => p.metadata.name ?? "").sort();
}

async function claimNames(s: Stowage): Promise<string[]> {
  const claims = await getJson<{ items: PersistentVolumeClaim[] }>(s, "pvc");
  return claims.items.map((c) => c.metadata.name ?? "").sort();
}

/** Waits until exactly these pods exist, all Running and Ready. */
async function allRunning(s: Stowage, names: string[]): Promise<Pod[]> {
  return eventually(async () => {
    const pods = await getJson<{ items: Pod[] }>(s, "pods", "-l", "app=mysql");
    const got = pods.items.map((p) => p.metadata.name ?? "").sort();
    if (JSON.stringify(got) !== JSON.stringify(names)) return undefined;
    return pods.items.every((p) => isReady(p) && !p.metadata.deletionTimestamp) ? pods.items : undefined;
  }, 45_000);
}

test("StatefulSet mysql: each pod mounts its own claim, a deleted pod returns with its claim and data, scale-down keeps or deletes claims by policy", async (t) => {
  assert.equal(process.getuid?.(), 0, "this test needs root for real bind mounts");
  const { s, dataDir } = await startWorld(t);

  const applied = await s.kubectlResult(["apply", "-f", manifest]);
  assert.equal(applied.code, 0, applied.stderr);

  // Three pods, Running and Ready, each with its own Bound claim mounted for real.
  const pods = await allRunning(s, ["mysql-0", "mysql-1", "mysql-2"]);
  const set = await getJson<StatefulSet>(s, "statefulset", "mysql");
  for (const pod of pods) {
    const name = pod.metadata.name ?? "";
    const ordinal = name.slice("mysql-".length);
    assert.equal(pod.metadata.labels?.["statefulset.kubernetes.io/pod-name"], name);
    assert.equal(pod.metadata.labels?.["apps.kubernetes.io/pod-index"], ordinal);
    assert.deepEqual(
      pod.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]),
      [["StatefulSet", "mysql", set.metadata.uid, true]],
    );
    const volume = pod.spec.volumes?.find((v) => v.name === "data");
    assert.equal(volume?.persistentVolumeClaim?.claimName, `data-mysql-${ordinal}`);
    const claim = await getJson<PersistentVolumeClaim>(s, "pvc", `data-mysql-${ordinal}`);
    assert.equal(claim.status?.phase, "Bound");
    assert.equal(claim.metadata.labels?.app, "mysql");
    assert.ok(existsSync(publishPath(dataDir, pod, claim.spec.volumeName ?? "")), `${name} mounts its claim`);
  }
  const status = await eventually(async () => {
    const current = await getJson<StatefulSet>(s, "statefulset", "mysql");
    return current.status?.readyReplicas === 3 ? current.status : undefined;
  });
  assert.equal(status.replicas, 3);
  assert.equal(status.currentReplicas, 3);
  assert.equal(status.availableReplicas, 3);
  assert.equal(status.observedGeneration, set.metadata.generation);
  // kubectl get statefulset's READY column.
  assert.match(await s.kubectl("get", "statefulset", "mysql"), /^mysql\s+3\/3\s/m);
  const events = await s.kubectl("describe", "statefulset", "mysql");
  assert.match(events, /SuccessfulCreate\s+.*create Claim data-mysql-0 Pod mysql-0 in StatefulSet mysql success/);
  assert.match(events, /SuccessfulCreate\s+.*create Pod mysql-2 in StatefulSet mysql successful/);

  // Delete mysql-1: it comes back under the same name with the same claim, and the data written before is there.
  const old1 = pods.find((p) => p.metadata.name === "mysql-1")!;
  const claim1 = await getJson<PersistentVolumeClaim>(s, "pvc", "data-mysql-1");
  await writeFile(join(publishPath(dataDir, old1, claim1.spec.volumeName ?? ""), "table.ibd"), "row 1\n");
  await s.kubectl("delete", "pod", "mysql-1");
  const back = await eventually(async () => {
    const pod = await getJson<Pod>(s, "pod", "mysql-1");
    return pod.metadata.uid !== old1.metadata.uid && isReady(pod) ? pod : undefined;
  }, 45_000);
  assert.equal(back.spec.volumes?.find((v) => v.name === "data")?.persistentVolumeClaim?.claimName, "data-mysql-1");
  const claim1After = await getJson<PersistentVolumeClaim>(s, "pvc", "data-mysql-1");
  assert.equal(claim1After.metadata.uid, claim1.metadata.uid, "the same claim, not a new one");
  assert.equal(
    await readFile(join(publishPath(dataDir, back, claim1.spec.volumeName ?? ""), "table.ibd"), "utf8"),
    "row 1\n",
  );

  // Scale to 1 with the default Retain policy: pods go highest first, every claim stays.
  await s.kubectl("scale", "statefulset", "mysql", "--replicas=1");
  await allRunning(s, ["mysql-0"]);
  assert.deepEqual(await claimNames(s), ["data-mysql-0", "data-mysql-1", "data-mysql-2"]);
  await eventually(async () => {
    const current = await getJson<StatefulSet>(s, "statefulset", "mysql");
    return current.status?.replicas === 1 ? true : undefined;
  });
  assert.match(
    await s.kubectl("describe", "statefulset", "mysql"),
    /SuccessfulDelete\s+.*delete Pod mysql-2 in StatefulSet mysql successful/,
  );

  // whenScaled: Delete: back to 3 (reusing the kept claims), then to 1: the scaled-away claims are deleted.
  await patchMysql(
    s,
    '{"spec":{"replicas":3,"persistentVolumeClaimRetentionPolicy":{"whenScaled":"Delete","whenDeleted":"Retain"}}}',
  );
  await allRunning(s, ["mysql-0", "mysql-1", "mysql-2"]);
  assert.equal((await getJson<PersistentVolumeClaim>(s, "pvc", "data-mysql-1")).metadata.uid, claim1.metadata.uid);
  await s.kubectl("scale", "statefulset", "mysql", "--replicas=1");
  await allRunning(s, ["mysql-0"]);
  await eventually(async () => {
    const names = await claimNames(s);
    return JSON.stringify(names) === JSON.stringify(["data-mysql-0"]) ? true : undefined;
  }, 30_000);

  // Deleting the set (background propagation): the garbage collector removes its pod; the claim is retained.
  await s.kubectl("delete", "statefulset", "mysql");
  await eventually(async () => ((await podNames(s)).length === 0 ? true : undefined), 30_000);
  assert.deepEqual(await claimNames(s), ["data-mysql-0"]);
});
