// kubectl exec through the apiserver's pods/exec upgrade proxy to the node's kubelet API, into stand-in container
// processes (their own mount namespace with a volume at /mnt).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startStreamingWorld } from "../e2e/streaming.js";

test("kubectl exec runs commands in the container: output, stdin, environment, exit codes", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("box", ["app"], { running: true });
  const volume = world.container("box", "app").volume;
  await writeFile(join(volume, "file"), "from the volume\n");

  // The container's view of its volume, without warnings (websockets, no SPDY fallback).
  assert.equal(await world.stowage.kubectl("exec", "box", "--", "cat", "/mnt/file"), "from the volume\n");
  // The container's environment, not the node agent's.
  assert.equal(await world.stowage.kubectl("exec", "box", "--", "sh", "-c", "echo $STANDIN"), "app\n");

  const split = await world.stowage.kubectlResult(["exec", "box", "--", "sh", "-c", "echo out; echo err >&2"]);
  assert.deepEqual(split, { code: 0, stdout: "out\n", stderr: "err\n" });

  // stdin reaches the command and its end closes the command's input (v5's close signal).
  const write = await world.stowage.kubectlResult(["exec", "-i", "box", "--", "sh", "-c", "cat > /mnt/x"], {
    input: "typed in\n",
  });
  assert.equal(write.code, 0, write.stderr);
  assert.equal(await readFile(join(volume, "x"), "utf8"), "typed in\n");
  assert.equal(await world.stowage.kubectl("exec", "box", "--", "cat", "/mnt/x"), "typed in\n");

  // Megabytes both ways arrive whole (frames split, slow readers paused, nothing dropped).
  const big = await world.stowage.kubectlResult(["exec", "box", "--", "head", "-c", "5000000", "/dev/zero"]);
  assert.equal(big.code, 0, big.stderr);
  assert.equal(big.stdout.length, 5_000_000);
  const counted = await world.stowage.kubectlResult(["exec", "-i", "box", "--", "wc", "-c"], {
    input: "y".repeat(3_000_000),
  });
  assert.equal(counted.stdout.trim(), "3000000");

  const failed = await world.stowage.kubectlResult(["exec", "box", "--", "sh", "-c", "echo bye; exit 3"]);
  assert.equal(failed.code, 3);
  assert.equal(failed.stdout, "bye\n");
  assert.match(failed.stderr, /^command terminated with exit code 3\n$/);
});

test("kubectl exec errors: unknown container, container not running, several containers", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("two", ["a", "b"], { running: true });
  await world.createPod("idle", ["app"], { running: false });

  const unknown = await world.stowage.kubectlResult(["exec", "two", "-c", "nope", "--", "true"]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /container nope is not valid for pod two/);

  // No process to enter (what runtime none gives): the kubelet's findContainer answer, as kubectl prints it.
  const notRunning = await world.stowage.kubectlResult(["exec", "idle", "--", "true"]);
  assert.notEqual(notRunning.code, 0);
  assert.match(notRunning.stderr, /container not found \("app"\)/);

  // kubectl picks the first container itself (and says so); -c picks another.
  assert.equal(await world.stowage.kubectl("exec", "two", "-c", "b", "--", "sh", "-c", "echo $STANDIN"), "b\n");

  // SPDY (kubectl with websockets turned off) is refused in words that say what to do instead.
  const spdy = await world.stowage.kubectlResult(["exec", "two", "-c", "a", "--", "true"], {
    env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: "false" },
  });
  assert.notEqual(spdy.code, 0);
  assert.match(
    spdy.stderr,
    /unable to upgrade connection: streaming protocol SPDY\/3\.1 is not supported, use websockets \(v5\.channel\.k8s\.io, v4\.channel\.k8s\.io\)/,
  );

  const gone = await world.stowage.kubectlResult(["exec", "ghost", "--", "true"]);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /pods "ghost" not found/);
});

test("kubectl exec -ti gives the command a terminal of the user's terminal size", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("box", ["app"], { running: true });
  // kubectl needs a terminal of its own for -t: `script` gives it one, 120x40.
  const env = {
    ...process.env,
    KUBECONFIG: world.stowage.kubeconfig,
    KUBECACHEDIR: join(world.stowage.dataDir, "kubectl-cache"),
  };
  const kubectl = "kubectl exec -ti box -- sh -c 'tty; stty size; exit 4'";
  const result = await new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(
      "script",
      ["-qec", `stty cols 120 rows 40; ${kubectl}`, "/dev/null"],
      { env, timeout: 30_000 },
      (err, stdout) => resolve({ code: typeof err?.code === "number" ? err.code : 0, stdout }),
    ),
  );
  assert.equal(result.code, 4);
  assert.match(result.stdout, /^\/dev\/pts\/\d+\r\n40 120\r\ncommand terminated with exit code 4\r\n$/);
});

test("kubectl cp copies files out of and into a container (tar over exec, stdin and stdout)", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("box", ["app"], { running: true });
  const volume = world.container("box", "app").volume;
  await writeFile(join(volume, "file"), "in the container\n");
  const local = await mkdtemp(join(tmpdir(), "kubectl-cp-"));
  t.after(() => rm(local, { recursive: true, force: true }));

  const down = await world.stowage.kubectlResult(["cp", "box:/mnt/file", join(local, "down.txt")]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await readFile(join(local, "down.txt"), "utf8"), "in the container\n");

  await writeFile(join(local, "up.txt"), "from here\n");
  const up = await world.stowage.kubectlResult(["cp", join(local, "up.txt"), "box:/mnt/up.txt"]);
  assert.equal(up.code, 0, up.stderr);
  assert.equal(await readFile(join(volume, "up.txt"), "utf8"), "from here\n");
});
