// @kubernetes/client-node's Exec and Log against pods/exec and pods/log: another client's take on the websocket
// channel protocol (it offers v5 down to channel.k8s.io) and on the log stream.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { test } from "node:test";
import { Exec, KubeConfig, Log, type V1Status } from "@kubernetes/client-node";
import { eventually } from "../../e2e/stowage.js";
import { startStreamingWorld } from "../../e2e/streaming.js";

async function run(exec: Exec, command: string[], input?: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const status = await new Promise<V1Status>((resolve, reject) => {
    exec
      .exec(
        "default",
        "box",
        "app",
        command,
        stdout,
        stderr,
        input === undefined ? null : Readable.from([input]),
        false,
        resolve,
      )
      .catch(reject);
  });
  return { status, out, err };
}

test("client-node Exec: output, stdin, and the exit code in the status", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("box", ["app"], { running: true });
  await writeFile(join(world.container("box", "app").volume, "file"), "content\n");
  const kc = new KubeConfig();
  kc.loadFromFile(world.stowage.kubeconfig);
  const exec = new Exec(kc);

  const cat = await run(exec, ["cat", "/mnt/file"]);
  assert.equal(cat.status.status, "Success");
  assert.equal(cat.out, "content\n");

  const echo = await run(exec, ["sh", "-c", "cat; echo err >&2"], "piped\n");
  assert.equal(echo.out, "piped\n");
  assert.equal(echo.err, "err\n");

  const failed = await run(exec, ["sh", "-c", "exit 5"]);
  assert.equal(failed.status.status, "Failure");
  assert.equal(failed.status.reason, "NonZeroExitCode");
  assert.deepEqual(failed.status.details?.causes, [{ reason: "ExitCode", message: "5" }]);
});

test("client-node Log follows a container's output", async (t) => {
  const world = await startStreamingWorld(t);
  const pod = await world.createPod("box", ["app"], { running: true });
  await world.writeLog(pod, "app", "first");
  const kc = new KubeConfig();
  kc.loadFromFile(world.stowage.kubeconfig);
  const sink = new PassThrough();
  let out = "";
  sink.on("data", (d: Buffer) => (out += d.toString()));
  const controller = await new Log(kc).log("default", "box", "app", sink, { follow: true });
  t.after(() => controller.abort());
  await eventually(() => (out === "first\n" ? true : undefined));
  await world.writeLog(pod, "app", "second");
  await eventually(() => (out === "first\nsecond\n" ? true : undefined));
});
