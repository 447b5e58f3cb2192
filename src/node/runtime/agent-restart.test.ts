// The node agent with runtime "process" stopped and started again on the same root dir: its containers stopped
// with it, and the new agent restarts each one exactly once as its restartPolicy says, the lost run counted as a
// restart (ContainerStatusUnknown, as upstream reports a container it cannot find) — never two copies.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { eventually, pod as podWith, startNodeTest, untilPodWorkerSynced, waitForPhase } from "../../e2e/node.js";
import { containerProcesses } from "../../e2e/processruntime.js";

test("a restarted agent runs each container of its pods exactly once more, counting the restart", async (t) => {
  const node = await startNodeTest(t, { runtime: "process" });
  const spec = podWith("long", [{ name: "scratch", emptyDir: {} }], [{ name: "scratch", mountPath: "/scratch" }]);
  spec.spec.containers[0].command = ["sh", "-c", "echo $$ >> /scratch/starts; exec sleep 1000"];
  const created = await node.client.pods.create(spec);
  const uid = created.metadata.uid ?? "";
  await waitForPhase(node, "long", "Running");
  await eventually(async () => ((await containerProcesses(`/pods/${uid}/`)).length === 1 ? true : undefined));

  await node.agent.stop();
  assert.deepEqual(await containerProcesses(`/pods/${uid}/`), [], "the container stopped with the agent");
  await node.startAgent();

  const restarted = await eventually(async () => {
    const p = await node.client.pods.get("default", "long");
    const c = p.status?.containerStatuses?.[0];
    return c?.state?.running && c.restartCount === 1 ? c : undefined;
  }, 20_000);
  assert.equal(restarted.lastState?.terminated?.reason, "ContainerStatusUnknown");
  assert.equal(restarted.lastState?.terminated?.exitCode, 137);
  // The new agent's pod worker has synced the pod again since the restart was reported: a second start would be now.
  await untilPodWorkerSynced(node, "long");
  assert.equal((await containerProcesses(`/pods/${uid}/`)).length, 1, "one copy of the container runs");
  const starts = await readFile(
    join(node.rootDir, "pods", uid, "volumes/kubernetes.io~empty-dir/scratch/starts"),
    "utf8",
  );
  assert.equal(starts.trim().split("\n").length, 2, "started once by each agent (the emptyDir outlived the restart)");
  await node.client.pods.delete("default", "long", { gracePeriodSeconds: 2 });
  await eventually(
    async () => ((await node.client.pods.list({ namespace: "default" })).items.length ? undefined : true),
    20_000,
  );
  assert.deepEqual(await containerProcesses(`/pods/${uid}/`), []);
});
