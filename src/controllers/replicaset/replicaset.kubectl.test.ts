// A ReplicaSet through `stowage up` and the real kubectl: it adopts a running orphan its selector matches instead of
// starting another pod, releases a pod relabelled out of its selector and replaces it, scales with `kubectl scale
// rs`, and a Deployment whose pod can never be placed reports ProgressDeadlineExceeded to `kubectl rollout status`.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ReplicaSet } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import { getJson, isReady } from "../../e2e/statefulset.js";
import { eventually, type Stowage } from "../../e2e/stowage.js";
import { startUpWorld } from "../../e2e/upworld.js";

const orphan = `apiVersion: v1
kind: Pod
metadata: {name: orphan, labels: {app: web}}
spec:
  containers: [{name: web, image: nginx:1.27}]
`;

const replicaSet = `apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`;

async function webPods(s: Stowage): Promise<Pod[]> {
  return (await getJson<{ items: Pod[] }>(s, "pods", "-l", "app=web")).items.filter(
    (p) => !p.metadata.deletionTimestamp,
  );
}

test("a ReplicaSet adopts a matching orphan, releases a relabelled pod and replaces it, and scales", async (t) => {
  const { s } = await startUpWorld(t, "stowage-replicaset-");
  await s.kubectlResult(["apply", "-f", "-"], { input: orphan });
  await s.kubectl("wait", "pod/orphan", "--for=condition=Ready", "--timeout=60s");
  const created = await s.kubectlResult(["apply", "-f", "-"], { input: replicaSet });
  assert.equal(created.stdout, "replicaset.apps/web created\n", created.stderr);
  const set = await getJson<ReplicaSet>(s, "rs", "web");
  const adopted = await eventually(async () => {
    const pod = await getJson<Pod>(s, "pod", "orphan");
    return pod.metadata.ownerReferences?.length ? pod : undefined;
  });
  assert.deepEqual(
    adopted.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller, r.blockOwnerDeletion]),
    [["ReplicaSet", "web", set.metadata.uid, true, true]],
  );
  await eventually(async () => {
    const current = await getJson<ReplicaSet>(s, "rs", "web");
    return current.status?.readyReplicas === 1 ? true : undefined;
  });
  assert.deepEqual(
    (await webPods(s)).map((p) => p.metadata.name),
    ["orphan"],
    "no second pod was started",
  );

  // Relabelled out of the selector: released (no owner), and a new pod takes its place.
  await s.kubectl("label", "pod", "orphan", "app=debug", "--overwrite");
  await eventually(async () => {
    const pod = await getJson<Pod>(s, "pod", "orphan");
    return (pod.metadata.ownerReferences ?? []).length === 0 ? true : undefined;
  });
  const [replacement] = await eventually(async () => {
    const pods = await webPods(s);
    return pods.length === 1 && isReady(pods[0]) ? pods : undefined;
  }, 60_000);
  assert.match(replacement.metadata.name ?? "", /^web-[a-z0-9]{5}$/);

  assert.equal(await s.kubectl("scale", "rs", "web", "--replicas=3"), "replicaset.apps/web scaled\n");
  await eventually(async () => {
    const pods = await webPods(s);
    return pods.length === 3 && pods.every(isReady) ? true : undefined;
  }, 60_000);
  assert.match(await s.kubectl("get", "rs", "web"), /^web\s+3\s+3\s+3\s+\S+\n$/m);
  assert.equal(await s.kubectl("scale", "rs", "web", "--replicas=1"), "replicaset.apps/web scaled\n");
  await eventually(async () => ((await webPods(s)).length === 1 ? true : undefined), 60_000);
});

test("a Deployment whose pod can never be placed exceeds its progress deadline, as kubectl rollout status reports", async (t) => {
  const { s } = await startUpWorld(t, "stowage-deadline-");
  const stuck = `apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  progressDeadlineSeconds: 3
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      nodeSelector: {disk: none-has-this}
      containers: [{name: app, image: nginx:1.27}]
`;
  await s.kubectlResult(["apply", "-f", "-"], { input: stuck });
  const status = await s.kubectlResult(["rollout", "status", "deploy/stuck", "--timeout=60s"]);
  assert.notEqual(status.code, 0);
  assert.match(status.stderr, /error: deployment "stuck" exceeded its progress deadline/);
  const d = await getJson<{
    status: { conditions: { type: string; status: string; reason: string; message: string }[] };
  }>(s, "deploy", "stuck");
  const progressing = d.status.conditions.find((c) => c.type === "Progressing");
  assert.deepEqual([progressing?.status, progressing?.reason], ["False", "ProgressDeadlineExceeded"]);
  assert.match(progressing?.message ?? "", /^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
  const available = d.status.conditions.find((c) => c.type === "Available");
  assert.deepEqual([available?.status, available?.reason], ["False", "MinimumReplicasUnavailable"]);
});
