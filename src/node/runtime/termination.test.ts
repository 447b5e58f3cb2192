// Graceful termination under runtime "process", as a user sees it with kubectl: `kubectl delete pod` sends
// SIGTERM, a container that handles it finishes its work (its volumes still mounted) before the pod is gone, one
// that ignores it is SIGKILLed once the grace period is over, and nothing of either is left running. Stopping the
// node agent stops every container too, even processes that left the container's session.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { containerProcesses, eventually, startProcessStowage } from "../../e2e/processruntime.js";

const pods = (markers: string) => `
apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 30
  containers:
    - name: main
      image: busybox
      # On SIGTERM: take a second, then copy what the emptyDir holds to the node (the volume must still be there).
      command: [sh, -c, 'echo from-the-cache > /cache/seed; trap "sleep 1; cat /cache/seed > /markers/graceful; exit 0" TERM; echo ready; while true; do sleep 0.1; done']
      volumeMounts: [{name: cache, mountPath: /cache}, {name: markers, mountPath: /markers}]
  volumes:
    - {name: cache, emptyDir: {}}
    - {name: markers, hostPath: {path: ${markers}, type: Directory}}
---
apiVersion: v1
kind: Pod
metadata: {name: forced}
spec:
  terminationGracePeriodSeconds: 30
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'trap "echo got-TERM >> /markers/forced" TERM; echo ready; while true; do sleep 0.1; done']
      volumeMounts: [{name: markers, mountPath: /markers}]
  volumes:
    - {name: markers, hostPath: {path: ${markers}, type: Directory}}
---
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'trap "echo got-TERM-and-ignored-it >> /markers/stubborn" TERM; echo ready; while true; do sleep 0.1; done']
      volumeMounts: [{name: markers, mountPath: /markers}]
  volumes:
    - {name: markers, hostPath: {path: ${markers}, type: Directory}}
`;

test("kubectl delete pod stops containers gracefully: SIGTERM first, SIGKILL after the grace period", async (t) => {
  const markers = await mkdtemp(join(tmpdir(), "stowage-markers-"));
  t.after(() => rm(markers, { recursive: true, force: true }));
  const stowage = await startProcessStowage(t);
  await stowage.apply(pods(markers));
  await stowage.apply(`
apiVersion: v1
kind: Pod
metadata: {name: deadline}
spec:
  activeDeadlineSeconds: 3
  containers: [{name: main, image: busybox, command: [sleep, "1000"]}]
`);
  for (const name of ["graceful", "stubborn", "forced"]) {
    await stowage.kubectl("wait", `pod/${name}`, "--for=condition=Ready", "--timeout=30s");
    // Ready once the process runs; its trap is set once it printed "ready".
    await eventually(async () => ((await stowage.kubectl("logs", name)) === "ready\n" ? true : undefined));
  }

  await t.test(
    "a container that handles SIGTERM finishes with its volumes still mounted, then the pod is gone",
    async () => {
      // kubectl delete waits until the pod is gone from the API.
      await stowage.kubectl("delete", "pod", "graceful", "--timeout=30s");
      assert.equal(await readFile(join(markers, "graceful"), "utf8"), "from-the-cache\n");
    },
  );

  await t.test("a container that ignores SIGTERM is killed after terminationGracePeriodSeconds", async () => {
    const uid = (await stowage.pod("stubborn")).metadata.uid ?? "";
    await stowage.kubectl("delete", "pod", "stubborn", "--timeout=30s");
    assert.equal(await readFile(join(markers, "stubborn"), "utf8"), "got-TERM-and-ignored-it\n");
    assert.deepEqual(await containerProcesses(`/pods/${uid}/`), [], "nothing of the container runs any more");
    const left = await stowage.kubectlResult(["get", "pod", "stubborn"]);
    assert.equal(left.stderr, 'Error from server (NotFound): pods "stubborn" not found\n');
  });

  await t.test(
    "a forced delete (--grace-period=0) removes the pod at once; its container still gets SIGTERM, then SIGKILL",
    async () => {
      const uid = (await stowage.pod("forced")).metadata.uid ?? "";
      const result = await stowage.kubectlResult(["delete", "pod", "forced", "--force", "--grace-period=0"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Immediate deletion does not wait for confirmation/);
      assert.equal((await stowage.kubectlResult(["get", "pod", "forced"])).code, 1, "gone from the API at once");
      await eventually(
        async () => ((await containerProcesses(`/pods/${uid}/`)).length === 0 ? true : undefined),
        15_000,
      );
      assert.equal(await readFile(join(markers, "forced"), "utf8"), "got-TERM\n");
    },
  );

  await t.test(
    "a pod past its activeDeadlineSeconds fails with DeadlineExceeded and its container is stopped",
    async () => {
      const pod = await stowage.waitForPhase("deadline", "Failed");
      assert.equal(pod.status?.reason, "DeadlineExceeded");
      assert.equal(pod.status?.message, "Pod was active on the node longer than the specified deadline");
      const terminated = await eventually(
        async () => (await stowage.pod("deadline")).status?.containerStatuses?.[0].state?.terminated,
      );
      assert.equal(terminated.exitCode, 143, "SIGTERM ended it");
      assert.equal(
        await stowage.kubectl("get", "pod", "deadline", "-o", "jsonpath={.status.phase}/{.status.reason}"),
        "Failed/DeadlineExceeded",
      );
    },
  );
});

test("stopping the node agent leaves no container process behind, not even one that left its session", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(`
apiVersion: v1
kind: Pod
metadata: {name: forks}
spec:
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'setsid sleep 1000 & sleep 1000 & echo forked; wait']
`);
  await stowage.kubectl("wait", "pod/forks", "--for=condition=Ready", "--timeout=30s");
  await eventually(async () => ((await stowage.kubectl("logs", "forks")) === "forked\n" ? true : undefined));
  assert.ok((await containerProcesses(stowage.dataDir)).length >= 3, "the shell and both sleeps run");
  await stowage.stop();
  assert.deepEqual(await containerProcesses(stowage.dataDir), []);
});
