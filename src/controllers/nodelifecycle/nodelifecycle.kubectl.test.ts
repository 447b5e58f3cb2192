// End to end through kubectl: two real `stowage node` agents; one is SIGKILLed, stops renewing its Lease, and the
// controller-manager (grace period shortened to 15 s: the agent renews every 10 s) marks it NotReady, taints it
// unreachable, marks its pods not ready; the scheduler keeps new pods off it. Restarted, all of it is undone.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Node, Pod } from "../../api/core/types.js";
import { controllerManagerClients, schedulerComponent, type UpComponent } from "../../e2e/parts.js";
import { eventually, startStowage } from "../../e2e/stowage.js";
import { killProcess, spawnAgent } from "../../e2e/agentprocess.js";
import { stowageBundle } from "../../e2e/bundle.js";
import { startControllerManager } from "../manager.js";

const gracePeriodMs = 15_000;

/** The controller-manager as `stowage up` runs it, with a test-sized --node-monitor-grace-period. */
const controllerManager: UpComponent = {
  name: "controller-manager",
  async start(ctx) {
    const manager = await startControllerManager({
      ...controllerManagerClients(ctx),
      signal: ctx.signal,
      nodeMonitorGracePeriodMs: gracePeriodMs,
      nodeMonitorPeriodMs: 500,
      // Upstream's unfenced path is what this test shows: no out-of-service taint, no pods deleted (fencing.test.ts).
      nodeFenceGraceMs: 0,
      log: () => undefined,
    });
    return { stop: () => manager.stop() };
  },
};

const podYaml = (name: string, placement: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  ${placement}
  containers:
  - name: app
    image: busybox
    volumeMounts: [{ name: scratch, mountPath: /scratch }]
  volumes:
  - name: scratch
    emptyDir: {}
`;

test("a node whose agent dies goes NotReady with upstream's conditions, taints and pod readiness, and comes back", async (t) => {
  const stowage = await startStowage(t, { store: "memory", components: [controllerManager, schedulerComponent] });
  const roots = await Promise.all([mkdtemp(join(tmpdir(), "nlc-1-")), mkdtemp(join(tmpdir(), "nlc-2-"))]);
  const bundle = await stowageBundle(t);
  const agents = new Set<Awaited<ReturnType<typeof spawnAgent>>>();
  t.after(async () => {
    for (const agent of agents) await killProcess(agent);
    for (const root of roots) await rm(root, { recursive: true, force: true });
  });
  const start = async (nodeName: string, rootDir: string) => {
    const agent = await spawnAgent({
      kubeconfig: stowage.kubeconfig,
      dataDir: stowage.dataDir,
      nodeName,
      rootDir,
      bundle,
    });
    agents.add(agent);
    return agent;
  };
  const [node1] = await Promise.all([start("node-1", roots[0]), start("node-2", roots[1])]);
  const getNode = async (name: string) => JSON.parse(await stowage.kubectl("get", "node", name, "-o", "json")) as Node;
  const getPod = async (name: string) => JSON.parse(await stowage.kubectl("get", "pod", name, "-o", "json")) as Pod;
  const podReady = (pod: Pod) => pod.status?.conditions?.find((c) => c.type === "Ready")?.status;
  const taintsOf = (node: Node) => (node.spec?.taints ?? []).map((taint) => `${taint.key}:${taint.effect}`).sort();

  const apply = async (yaml: string) => {
    const result = await stowage.kubectlResult(["apply", "-f", "-"], { input: yaml });
    assert.equal(result.code, 0, result.stderr);
  };
  await apply(podYaml("web", "nodeName: node-1"));
  await stowage.kubectl("wait", "pod/web", "--for=condition=Ready", "--timeout=30s");
  assert.match(await stowage.kubectl("get", "nodes"), /^node-1\s+Ready\s/m);

  await killProcess(node1);
  agents.delete(node1);
  // The lease was renewed at most 10 s before the kill: NotReady within the grace period plus a monitor pass.
  await eventually(
    async () => (/^node-1\s+NotReady\s/m.test(await stowage.kubectl("get", "nodes")) ? true : undefined),
    gracePeriodMs + 15_000,
  );
  const nodes = await stowage.kubectl("get", "nodes");
  assert.match(nodes, /^node-2\s+Ready\s/m, "the other node stays Ready");

  const down = await getNode("node-1");
  for (const type of ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"]) {
    const condition = down.status?.conditions?.find((c) => c.type === type);
    assert.deepEqual(
      [condition?.status, condition?.reason, condition?.message],
      ["Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."],
      type,
    );
  }
  // NoSchedule at once; NoExecute through the zone's rate-limited queue (one Ready node remains, so it applies).
  const tainted = await eventually(async () => {
    const node = await getNode("node-1");
    return taintsOf(node).length === 2 ? node : undefined;
  });
  assert.deepEqual(taintsOf(tainted), [
    "node.kubernetes.io/unreachable:NoExecute",
    "node.kubernetes.io/unreachable:NoSchedule",
  ]);
  assert.ok(
    tainted.spec?.taints?.every((taint) => taint.timeAdded),
    "taints carry the time they were added",
  );
  assert.deepEqual(taintsOf(await getNode("node-2")), []);

  assert.equal(
    podReady(
      await eventually(async () => {
        const pod = await getPod("web");
        return podReady(pod) === "False" ? pod : undefined;
      }),
    ),
    "False",
  );
  const events = await stowage.kubectl(
    "get",
    "events",
    "-o",
    "custom-columns=KIND:.involvedObject.kind,NAME:.involvedObject.name,REASON:.reason,MESSAGE:.message",
  );
  assert.match(events, /^Node\s+node-1\s+NodeNotReady\s+Node node-1 status is now: NodeNotReady$/m);
  assert.match(events, /^Pod\s+web\s+NodeNotReady\s+Node is not ready$/m);

  // The scheduler keeps a new pod that wants node-1 off it, naming the taint.
  await apply(podYaml("late", "nodeSelector: { kubernetes.io/hostname: node-1 }"));
  await eventually(async () => {
    const described = await stowage.kubectl("describe", "pod", "late");
    return /untolerated taint \{node\.kubernetes\.io\/unreachable: \}/.test(described) ? true : undefined;
  }, 15_000);

  // The agent comes back: Ready, taints gone, its pods Ready again, the waiting pod placed there.
  await start("node-1", roots[0]);
  await eventually(
    async () => (/^node-1\s+Ready\s/m.test(await stowage.kubectl("get", "nodes")) ? true : undefined),
    15_000,
  );
  await eventually(async () => (taintsOf(await getNode("node-1")).length === 0 ? true : undefined), 10_000);
  await eventually(async () => (podReady(await getPod("web")) === "True" ? true : undefined), 15_000);
  await stowage.kubectl("wait", "pod/late", "--for=condition=Ready", "--timeout=30s");
  assert.equal((await getPod("late")).spec.nodeName, "node-1");
});
