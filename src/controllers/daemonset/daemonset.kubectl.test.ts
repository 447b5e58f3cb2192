// A DaemonSet through `stowage up --nodes 2` and the real kubectl: one pod per node, bound by the scheduler; a node
// that joins gets one, a node tainted NoExecute loses it; `kubectl set image` rolls the pods one node at a time to
// the new template, `rollout history` lists the templates and `rollout undo` brings the old one back; `kubectl get ds`
// shows upstream's columns; deleting the set removes its pods.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DaemonSet } from "../../api/apps/types.js";
import type { Pod } from "../../api/core/types.js";
import { nodeName } from "../../e2e/parts.js";
import { getJson, isReady } from "../../e2e/statefulset.js";
import { eventually, startStowage, type Stowage } from "../../e2e/stowage.js";
import { defaultUpComponents } from "../../e2e/parts.js";

const manifest = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: storage-agent}
spec:
  selector: {matchLabels: {app: storage-agent}}
  template:
    metadata: {labels: {app: storage-agent}}
    spec:
      containers:
      - name: agent
        image: busybox:1.36
        volumeMounts: [{name: scratch, mountPath: /scratch}]
      volumes: [{name: scratch, emptyDir: {}}]
`;

const newNode = (name: string) => `apiVersion: v1
kind: Node
metadata: {name: ${name}, labels: {kubernetes.io/hostname: ${name}}}
`;

async function daemonPods(s: Stowage): Promise<Pod[]> {
  const pods = await getJson<{ items: Pod[] }>(s, "pods", "-l", "app=storage-agent");
  return pods.items.filter((pod) => !pod.metadata.deletionTimestamp);
}

/** Waits until the daemon pods sit on exactly these nodes (running there when `running`). */
async function podsOn(s: Stowage, nodes: string[], running = true): Promise<Pod[]> {
  return eventually(async () => {
    const pods = await daemonPods(s);
    const on = pods.map((pod) => pod.spec.nodeName ?? "").sort();
    if (JSON.stringify(on) !== JSON.stringify([...nodes].sort())) return undefined;
    return !running || pods.every(isReady) ? pods : undefined;
  }, 60_000);
}

const rolledOut = async (s: Stowage) =>
  assert.match(
    await s.kubectl("rollout", "status", "ds/storage-agent", "--timeout=90s"),
    /(^|\n)daemon set "storage-agent" successfully rolled out\n$/,
  );

test("a DaemonSet runs one pod per node, follows nodes joining and tainted, and rolls a new image node by node", async (t) => {
  const s = await startStowage(t, { components: defaultUpComponents({ nodes: 2, defaultStorage: false }) });
  await eventually(async () => {
    const nodes = await getJson<{ items: unknown[] }>(s, "nodes");
    return nodes.items.length === 2 ? true : undefined;
  }, 30_000);
  const applied = await s.kubectlResult(["apply", "-f", "-"], { input: manifest });
  assert.equal(applied.stdout, "daemonset.apps/storage-agent created\n", applied.stderr);
  const first = await podsOn(s, [nodeName(1), nodeName(2)]);
  await rolledOut(s);
  const table = await s.kubectl("get", "ds", "storage-agent");
  assert.match(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\n/);
  assert.match(table, /^storage-agent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+\S+\n$/m);
  for (const pod of first) {
    assert.deepEqual(
      pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]
        ?.matchFields,
      [{ key: "metadata.name", operator: "In", values: [pod.spec.nodeName] }],
    );
    assert.ok(
      pod.spec.tolerations?.some((t) => t.key === "node.kubernetes.io/unreachable" && t.effect === "NoExecute"),
    );
  }

  // A node joins (no agent runs there: its pod is bound, never started).
  const joined = await s.kubectlResult(["create", "-f", "-"], { input: newNode("stowage-node-3") });
  assert.equal(joined.code, 0, joined.stderr);
  await podsOn(s, [nodeName(1), nodeName(2), "stowage-node-3"], false);
  // Tainted NoExecute without a toleration: its daemon pod goes.
  await s.kubectl("taint", "node", "stowage-node-3", "dedicated=storage:NoExecute");
  await podsOn(s, [nodeName(1), nodeName(2)]);
  await eventually(async () => {
    const set = await getJson<DaemonSet>(s, "ds", "storage-agent");
    return set.status?.desiredNumberScheduled === 2 && set.status.numberMisscheduled === 0 ? true : undefined;
  });

  await s.kubectl("set", "image", "ds/storage-agent", "agent=busybox:1.37");
  await rolledOut(s);
  const rolled = await podsOn(s, [nodeName(1), nodeName(2)]);
  assert.ok(rolled.every((pod) => pod.spec.containers[0].image === "busybox:1.37"));
  assert.ok(rolled.every((pod) => !first.some((old) => old.metadata.name === pod.metadata.name)));

  // Templates are ControllerRevisions: rollout history lists them, rollout undo brings the old image back.
  assert.match(
    await s.kubectl("rollout", "history", "ds/storage-agent"),
    /^daemonset\.apps\/storage-agent \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/,
  );
  assert.equal(await s.kubectl("rollout", "undo", "ds/storage-agent"), "daemonset.apps/storage-agent rolled back\n");
  await rolledOut(s);
  const undone = await eventually(async () => {
    const pods = await podsOn(s, [nodeName(1), nodeName(2)]);
    return pods.every((pod) => pod.spec.containers[0].image === "busybox:1.36") ? pods : undefined;
  }, 60_000);
  assert.equal(undone.length, 2);
  assert.match(await s.kubectl("rollout", "history", "ds/storage-agent"), /\n2\s+<none>\n3\s+<none>\n/);

  assert.equal(await s.kubectl("delete", "ds", "storage-agent"), 'daemonset.apps "storage-agent" deleted\n');
  await eventually(async () => ((await daemonPods(s)).length === 0 ? true : undefined), 60_000);
});
