// kubectl logs through the apiserver's pods/log and the node's kubelet API, against container log files in the
// CRI format (written here as the runtime writes them) and stand-in container processes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../e2e/stowage.js";
import { startStreamingWorld } from "../e2e/streaming.js";

test("kubectl logs prints a container's output: whole, -c, --tail, --timestamps, --limit-bytes", async (t) => {
  const world = await startStreamingWorld(t);
  const pod = await world.createPod("writer", ["app"], { running: true });
  await world.writeLog(pod, "app", "one", "stdout", new Date("2026-11-23T10:00:00.123Z"));
  await world.writeLog(pod, "app", "two", "stderr", new Date("2026-11-23T10:00:01.000Z"));
  await world.writeLog(pod, "app", "three", "stdout", new Date("2026-11-23T10:00:02.5Z"));

  assert.equal(await world.stowage.kubectl("logs", "writer"), "one\ntwo\nthree\n");
  assert.equal(await world.stowage.kubectl("logs", "writer", "-c", "app"), "one\ntwo\nthree\n");
  assert.equal(await world.stowage.kubectl("logs", "writer", "--tail=2"), "two\nthree\n");
  assert.equal(await world.stowage.kubectl("logs", "pod/writer", "--tail=0"), "");
  // RFC3339NanoFixed, as the kubelet prints it.
  assert.equal(
    await world.stowage.kubectl("logs", "writer", "--timestamps", "--tail=1"),
    "2026-11-23T10:00:02.500000000Z three\n",
  );
  assert.equal(await world.stowage.kubectl("logs", "writer", "--limit-bytes=6"), "one\ntw");
  assert.equal(await world.stowage.kubectl("logs", "writer", "--since-time=2026-11-23T10:00:01Z"), "two\nthree\n");
});

test("kubectl logs --all-containers --prefix reads every container", async (t) => {
  const world = await startStreamingWorld(t);
  const pod = await world.createPod("pair", ["a", "b"], { running: true });
  await world.writeLog(pod, "a", "from a");
  await world.writeLog(pod, "b", "from b");
  // kubectl asks for the containers concurrently: the order of their lines is not fixed.
  const out = await world.stowage.kubectl("logs", "pair", "--all-containers", "--prefix");
  assert.deepEqual(out.split("\n").sort(), ["", "[pod/pair/a] from a", "[pod/pair/b] from b"]);
});

test("kubectl logs -f prints lines as they are written and ends when the container stops", async (t) => {
  const world = await startStreamingWorld(t);
  const pod = await world.createPod("follow", ["app"], { running: true });
  await world.writeLog(pod, "app", "before");
  const follower = world.kubectlProcess("logs", "-f", "follow");
  await eventually(() => (follower.output() === "before\n" ? true : undefined));
  await world.writeLog(pod, "app", "after 1");
  await eventually(() => (follower.output() === "before\nafter 1\n" ? true : undefined));
  await world.writeLog(pod, "app", "after 2");
  await world.stopContainer("follow", "app");
  // The container stopped: kubectl exits by itself once the last line is out.
  const result = await follower.exited;
  assert.equal(result.code, 0);
  assert.equal(follower.output(), "before\nafter 1\nafter 2\n");
});

test("logs requests are refused as upstream refuses them", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("two", ["a", "b"], { running: true });
  await world.createPod("pending", ["app"], { running: false });

  const noContainer = await world.stowage.kubectlResult(["get", "--raw", "/api/v1/namespaces/default/pods/two/log"]);
  assert.notEqual(noContainer.code, 0);
  assert.match(noContainer.stderr, /a container name must be specified for pod two, choose one of: \[a b\]/);

  // kubectl checks the container itself; the apiserver refuses it too, for any other client.
  const unknown = await world.stowage.kubectlResult(["logs", "two", "-c", "nope"]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /container nope is not valid for pod two/);
  const unknownRaw = await world.stowage.kubectlResult([
    "get",
    "--raw",
    "/api/v1/namespaces/default/pods/two/log?container=nope",
  ]);
  assert.notEqual(unknownRaw.code, 0);
  assert.match(unknownRaw.stderr, /Error from server \(BadRequest\): container nope is not valid for pod two/);

  const waiting = await world.stowage.kubectlResult(["logs", "pending"]);
  assert.notEqual(waiting.code, 0);
  assert.match(
    waiting.stderr,
    /Error from server \(BadRequest\): container "app" in pod "pending" is waiting to start: ContainerCreating/,
  );

  const negative = await world.stowage.kubectlResult([
    "get",
    "--raw",
    "/api/v1/namespaces/default/pods/two/log?container=a&tailLines=-1",
  ]);
  assert.notEqual(negative.code, 0);
  assert.match(
    negative.stderr,
    /PodLogOptions "two" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0/,
  );

  const missing = await world.stowage.kubectlResult(["logs", "ghost"]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /pods "ghost" not found/);
});

test("a node whose kubelet API is down: logs and exec say the backend cannot be dialed, as upstream", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("box", ["app"], { running: true });
  await world.kubelet.close();
  const address = `127.0.0.1:${world.kubelet.port}`;

  const logs = await world.stowage.kubectlResult(["logs", "box"]);
  assert.notEqual(logs.code, 0);
  assert.equal(
    logs.stderr,
    `Error from server: Get "https://${address}/containerLogs/default/box/app": dial tcp ${address}: connect: connection refused\n`,
  );
  const exec = await world.stowage.kubectlResult(["exec", "box", "--", "true"]);
  assert.notEqual(exec.code, 0);
  assert.equal(
    exec.stderr,
    `Error from server: error dialing backend: dial tcp ${address}: connect: connection refused\n`,
  );
});
