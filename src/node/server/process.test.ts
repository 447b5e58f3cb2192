// kubectl logs and exec end to end on runtime "process": `stowage up --runtime process` (apiserver, controllers,
// scheduler, a node agent whose containers are real processes), pods applied with kubectl, and the streams going
// kubectl → apiserver → the agent's kubelet API → the container.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { eventually, startProcessStowage, type ProcessStowage } from "../../e2e/processruntime.js";

const waiter = `
apiVersion: v1
kind: Pod
metadata: {name: waiter}
spec:
  restartPolicy: Never
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'echo started; echo "from the pod" > /data/file; while [ ! -f /data/go ]; do sleep 0.1; done; echo second; echo oops >&2']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}]
`;

// Bound to the node, but its configMap does not exist: the container waits in ContainerCreating.
const pending = `
apiVersion: v1
kind: Pod
metadata: {name: pending}
spec:
  nodeName: stowage-node-1
  containers: [{name: main, image: busybox, command: [sleep, "1000"], volumeMounts: [{name: cfg, mountPath: /cfg}]}]
  volumes: [{name: cfg, configMap: {name: does-not-exist}}]
---
apiVersion: v1
kind: Pod
metadata: {name: unscheduled}
spec:
  nodeSelector: {no-such-label: "true"}
  containers: [{name: main, image: busybox, command: [sleep, "1000"]}]
`;

const two = `
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
    - {name: a, image: busybox, command: [sh, -c, 'echo I am a; exec sleep 1000']}
    - {name: b, image: busybox, command: [sh, -c, 'echo I am b; exec sleep 1000']}
`;

// Its first run exits at once; the restart (immediate, the first time) stays up.
const restarted = `
apiVersion: v1
kind: Pod
metadata: {name: restarted}
spec:
  containers:
    - name: main
      image: busybox
      command: [sh, -c, 'echo x >> /data/runs; n=$(wc -l < /data/runs); echo "run $n"; [ "$n" -gt 1 ] || exit 1; exec sleep 1000']
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, emptyDir: {}}]
`;

// Non-root ids from the pod's securityContext, and a container that overrides them with its own.
const users = `
apiVersion: v1
kind: Pod
metadata: {name: users}
spec:
  securityContext: {runAsUser: 1234, runAsGroup: 2345, fsGroup: 3456, supplementalGroups: [4567]}
  containers:
    - {name: main, image: busybox, command: [sh, -c, 'echo "runs as $(id -u)"; exec sleep 1000']}
    - {name: own, image: busybox, command: [sleep, "1000"], securityContext: {runAsUser: 4321, runAsGroup: 5432}}
`;

/** kubectl left running (logs -f, a long exec): its output so far and its exit. */
function kubectlFollow(stowage: ProcessStowage, ...args: string[]) {
  const env = { ...process.env, KUBECONFIG: stowage.kubeconfig, KUBECACHEDIR: join(stowage.dataDir, "kubectl-cache") };
  const child = spawn("kubectl", args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  return { output: () => out, stderr: () => err, exited, kill: () => child.kill("SIGKILL") };
}

test("a running pod: kubectl exec reads and writes its volume, logs -f follows it until it exits", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(waiter);
  await stowage.waitForPhase("waiter", "Running");
  await eventually(async () => ((await stowage.kubectl("logs", "waiter")) === "started\n" ? true : undefined));
  const follow = kubectlFollow(stowage, "logs", "-f", "waiter");
  t.after(() => void follow.kill());
  await eventually(() => (follow.output() === "started\n" ? true : undefined));

  assert.equal(await stowage.kubectl("exec", "waiter", "--", "cat", "/data/file"), "from the pod\n");
  const write = await stowage.kubectlResult(["exec", "-i", "waiter", "--", "sh", "-c", "cat > /data/x"], {
    input: "typed in\n",
  });
  assert.equal(write.code, 0, write.stderr);
  assert.equal(await stowage.kubectl("exec", "waiter", "--", "cat", "/data/x"), "typed in\n");
  const failed = await stowage.kubectlResult(["exec", "waiter", "--", "sh", "-c", "exit 3"]);
  assert.equal(failed.code, 3);
  assert.equal(failed.stderr, "command terminated with exit code 3\n");

  // Let the container finish: the follower sees its last lines, then ends by itself.
  await stowage.kubectl("exec", "waiter", "--", "touch", "/data/go");
  assert.equal(await follow.exited, 0);
  assert.equal(follow.output(), "started\nsecond\noops\n");
  await stowage.waitForPhase("waiter", "Succeeded");
  assert.match(
    await stowage.kubectl("logs", "waiter", "--timestamps", "--tail=1"),
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z oops\n$/,
  );
  // kubectl's own check, from the pod's phase.
  const completed = await stowage.kubectlResult(["exec", "waiter", "--", "true"]);
  assert.notEqual(completed.code, 0);
  assert.match(completed.stderr, /cannot exec into a container in a completed pod; current phase is Succeeded/);
});

test("a command exec'd into a container ends with its pod", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(two);
  await stowage.waitForPhase("two", "Running");
  const exec = kubectlFollow(stowage, "exec", "two", "-c", "a", "--", "sh", "-c", "echo in; exec sleep 1000");
  t.after(() => void exec.kill());
  await eventually(() => (exec.output() === "in\n" ? true : undefined));
  await stowage.kubectl("delete", "pod", "two", "--grace-period=1", "--wait=false");
  // Killed with the container's processes (SIGKILL after the grace period): 128 + 9, as a runtime reports it.
  assert.equal(await exec.exited, 137);
  assert.match(exec.stderr(), /command terminated with exit code 137/);
});

test("kubectl logs --previous shows the run before the last restart", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(restarted);
  await stowage.kubectl(
    "wait",
    "pod/restarted",
    "--for=jsonpath={.status.containerStatuses[0].restartCount}=1",
    "--timeout=30s",
  );
  await eventually(async () => ((await stowage.kubectl("logs", "restarted")) === "run 2\n" ? true : undefined));
  assert.equal(await stowage.kubectl("logs", "restarted", "--previous"), "run 1\n");
});

test("containers picked with -c, and a pod whose container has not started gets the kubelet's answers", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(two);
  await stowage.apply(pending);
  await stowage.waitForPhase("two", "Running");
  await eventually(async () => ((await stowage.kubectl("logs", "two", "-c", "b")) === "I am b\n" ? true : undefined));
  assert.equal(await stowage.kubectl("exec", "two", "-c", "a", "--", "sh", "-c", "echo $HOSTNAME"), "two\n");

  const waiting = await stowage.kubectlResult(["logs", "pending"]);
  assert.notEqual(waiting.code, 0);
  assert.match(
    waiting.stderr,
    /Error from server \(BadRequest\): container "main" in pod "pending" is waiting to start: ContainerCreating/,
  );
  const notRunning = await stowage.kubectlResult(["exec", "pending", "--", "true"]);
  assert.notEqual(notRunning.code, 0);
  assert.match(notRunning.stderr, /error: unable to upgrade connection: container not found \("main"\)/);

  // Not on any node yet: upstream answers an empty log, and refuses exec.
  assert.equal(await stowage.kubectl("logs", "unscheduled"), "");
  const noHost = await stowage.kubectlResult(["exec", "unscheduled", "--", "true"]);
  assert.notEqual(noHost.code, 0);
  assert.match(noHost.stderr, /Error from server \(BadRequest\): pod unscheduled does not have a host assigned/);
});

test("kubectl exec runs as the container's runAsUser, runAsGroup, supplementalGroups and fsGroup, never as root", async (t) => {
  const stowage = await startProcessStowage(t);
  await stowage.apply(users);
  await stowage.waitForPhase("users", "Running");
  await eventually(async () =>
    (await stowage.kubectl("logs", "users", "-c", "main")) === "runs as 1234\n" ? true : undefined,
  );
  assert.equal(await stowage.kubectl("exec", "users", "-c", "main", "--", "id", "-u"), "1234\n");
  assert.equal(await stowage.kubectl("exec", "users", "-c", "main", "--", "id", "-G"), "2345 3456 4567\n");
  // What root could do, the container's user cannot: the exec'd command has no privileges.
  const denied = await stowage.kubectlResult(["exec", "users", "-c", "main", "--", "sh", "-c", "echo x > /etc/x"]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.stderr, /Permission denied/);
  // A container's own securityContext wins over the pod's, in exec as in the container.
  assert.equal(await stowage.kubectl("exec", "users", "-c", "own", "--", "sh", "-c", "id -u; id -g"), "4321\n5432\n");
});
