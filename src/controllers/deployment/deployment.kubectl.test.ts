// The seeds' nginx-deployment through `stowage up` and the real kubectl: it applies as written and its pod runs
// with the emptyDir cache-volume; `kubectl scale` gives three Running pods; `kubectl rollout restart` replaces them
// one by one (25% surge of 3 is one pod, 25% unavailable none) with a second revision in `rollout history`;
// `rollout undo`, `pause` and `resume` do what they say; `kubectl delete deploy` takes the ReplicaSets and pods.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Deployment, ReplicaSet } from "../../api/apps/types.js";
import type { Event, Pod } from "../../api/core/types.js";
import { nodeName } from "../../e2e/parts.js";
import { getJson, isReady } from "../../e2e/statefulset.js";
import { eventually, type Stowage } from "../../e2e/stowage.js";
import { startUpWorld } from "../../e2e/upworld.js";

const manifest = join(import.meta.dirname, "testdata", "nginx-deployment.yaml");

/** Waits until exactly `count` nginx pods exist, all Running and Ready, none terminating. */
async function runningPods(s: Stowage, count: number): Promise<Pod[]> {
  return eventually(async () => {
    const pods = await getJson<{ items: Pod[] }>(s, "pods", "-l", "app=nginx");
    if (pods.items.length !== count) return undefined;
    return pods.items.every((p) => isReady(p) && !p.metadata.deletionTimestamp) ? pods.items : undefined;
  }, 60_000);
}

/** `kubectl rollout status` prints its waits, then the line users wait for. */
const rolledOut = async (s: Stowage) =>
  assert.match(
    await s.kubectl("rollout", "status", "deployment/nginx-deployment", "--timeout=90s"),
    /(^|\n)deployment "nginx-deployment" successfully rolled out\n$/,
  );

/** The ScalingReplicaSet events' messages, oldest first. */
async function scalingEvents(s: Stowage): Promise<string[]> {
  const events = await getJson<{ items: Event[] }>(s, "events", "--field-selector", "reason=ScalingReplicaSet");
  return events.items
    .sort((a, b) => (a.metadata.creationTimestamp ?? "").localeCompare(b.metadata.creationTimestamp ?? ""))
    .map((e) => e.message ?? "");
}

test("the seeds' nginx-deployment: runs with its emptyDir, scales to 3, restarts one pod at a time, rolls back, deletes", async (t) => {
  const { s, dataDir } = await startUpWorld(t, "stowage-deployment-");
  assert.equal(await s.kubectl("apply", "-f", manifest), "deployment.apps/nginx-deployment created\n");
  await rolledOut(s);
  const [pod] = await runningPods(s, 1);
  const [set] = (await getJson<{ items: ReplicaSet[] }>(s, "replicasets", "-l", "app=nginx")).items;
  const hash = set.metadata.labels?.["pod-template-hash"] ?? "";
  assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(set.metadata.name, `nginx-deployment-${hash}`);
  assert.equal(set.metadata.annotations?.["deployment.kubernetes.io/revision"], "1");
  assert.equal(pod.metadata.labels?.["pod-template-hash"], hash);
  assert.deepEqual(
    pod.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]),
    [["ReplicaSet", set.metadata.name, true]],
  );
  const cache = pod.spec.containers[0].volumeMounts?.find((m) => m.name === "cache-volume");
  assert.equal(cache?.mountPath, "/cache");
  const emptyDir = join(dataDir, "nodes", nodeName(1), "pods", pod.metadata.uid ?? "", "volumes");
  assert.ok(
    existsSync(join(emptyDir, "kubernetes.io~empty-dir", "cache-volume")),
    "the emptyDir is set up on the node",
  );

  // kubectl's columns, as upstream prints them.
  const table = await s.kubectl("get", "deploy", "nginx-deployment");
  assert.match(table, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
  assert.match(table, /^nginx-deployment\s+1\/1\s+1\s+1\s+\S+\n$/m);
  const wide = await s.kubectl("get", "deploy", "nginx-deployment", "-o", "wide");
  assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR\n/);
  assert.match(wide, /^nginx-deployment\s+1\/1\s+1\s+1\s+\S+\s+nginx\s+nginx:1\.14\.2\s+app=nginx\n$/m);
  assert.match(await s.kubectl("get", "rs"), /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\n\S+\s+1\s+1\s+1\s+/);

  assert.equal(
    await s.kubectl("scale", "deploy", "nginx-deployment", "--replicas=3"),
    "deployment.apps/nginx-deployment scaled\n",
  );
  await rolledOut(s);
  const three = await runningPods(s, 3);

  assert.equal(
    await s.kubectl("rollout", "restart", "deploy/nginx-deployment"),
    "deployment.apps/nginx-deployment restarted\n",
  );
  await rolledOut(s);
  const restarted = await runningPods(s, 3);
  const before = new Set(three.map((p) => p.metadata.name));
  assert.ok(
    restarted.every((p) => !before.has(p.metadata.name)),
    "every pod was replaced",
  );
  // One by one: each step moves a single pod, up on the new set, then down on the old.
  const steps = (await scalingEvents(s)).filter((m) => !m.includes(`${set.metadata.name} from 0 to 1`));
  const rollout = steps.slice(steps.findIndex((m) => !m.includes(set.metadata.name ?? "")));
  assert.equal(rollout.length, 6, rollout.join("\n"));
  for (const message of rollout) {
    const [, from, to] = /from (\d+) to (\d+)$/.exec(message) ?? [];
    assert.equal(Math.abs(Number(to) - Number(from)), 1, message);
  }
  const described = await s.kubectl("describe", "deploy", "nginx-deployment");
  assert.match(described, /^StrategyType:\s+RollingUpdate$/m);
  assert.match(described, /^RollingUpdateStrategy:\s+25% max unavailable, 25% max surge$/m);
  assert.match(described, /^NewReplicaSet:\s+nginx-deployment-\w+ \(3\/3 replicas created\)$/m);
  assert.match(described, /Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set/);
  const history = await s.kubectl("rollout", "history", "deploy/nginx-deployment");
  assert.match(history, /^REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/m);

  assert.equal(
    await s.kubectl("rollout", "undo", "deploy/nginx-deployment"),
    "deployment.apps/nginx-deployment rolled back\n",
  );
  await rolledOut(s);
  const undone = await getJson<Deployment>(s, "deploy", "nginx-deployment");
  assert.equal(undone.metadata.annotations?.["deployment.kubernetes.io/revision"], "3");
  assert.equal(undone.spec.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"], undefined);
  const back = await getJson<ReplicaSet>(s, "rs", set.metadata.name ?? "");
  assert.equal(back.metadata.annotations?.["deployment.kubernetes.io/revision"], "3", "revision 1's set came back");
  await runningPods(s, 3);

  assert.equal(
    await s.kubectl("rollout", "pause", "deploy/nginx-deployment"),
    "deployment.apps/nginx-deployment paused\n",
  );
  const paused = await eventually(async () => {
    const d = await getJson<Deployment>(s, "deploy", "nginx-deployment");
    return d.status?.conditions?.find((c) => c.type === "Progressing" && c.reason === "DeploymentPaused");
  });
  assert.equal(paused.message, "Deployment is paused");
  await s.kubectl("set", "image", "deploy/nginx-deployment", "nginx=nginx:1.16.1");
  assert.equal(
    (await getJson<{ items: ReplicaSet[] }>(s, "rs")).items.length,
    2,
    "a paused Deployment rolls nothing out",
  );
  assert.equal(
    await s.kubectl("rollout", "resume", "deploy/nginx-deployment"),
    "deployment.apps/nginx-deployment resumed\n",
  );
  await rolledOut(s);
  assert.match(await s.kubectl("get", "deploy", "nginx-deployment", "-o", "wide"), /nginx:1\.16\.1/);

  assert.equal(await s.kubectl("delete", "deploy", "nginx-deployment"), 'deployment.apps "nginx-deployment" deleted\n');
  await eventually(async () => {
    const sets = await getJson<{ items: ReplicaSet[] }>(s, "rs");
    const pods = await getJson<{ items: Pod[] }>(s, "pods", "-l", "app=nginx");
    return sets.items.length + pods.items.length === 0 ? true : undefined;
  }, 60_000);
});
