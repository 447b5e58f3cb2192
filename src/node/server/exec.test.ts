// The channel protocol on the wire, as a websocket client sees it through the apiserver: subprotocol negotiation,
// channel bytes, v5's close signal, the Status on the error channel, a TTY and its resize, and refusals.
import assert from "node:assert/strict";
import { test } from "node:test";
import WebSocket from "ws";
import { dataDirClient } from "../../e2e/kubelettls.js";
import { startStreamingWorld, type StreamingWorld } from "../../e2e/streaming.js";

interface Session {
  protocol: string;
  /** Bytes received per channel. */
  channels: Map<number, Buffer>;
  closeCode: number;
}

function execUrl(world: StreamingWorld, pod: string, query: string): string {
  return `${world.stowage.url.replace(/^http/, "ws")}/api/v1/namespaces/default/pods/${pod}/exec?${query}`;
}

/** The credentials kubectl presents to the world's apiserver: its CA and an admin's client certificate. */
async function adminTls(world: StreamingWorld): Promise<WebSocket.ClientOptions> {
  const admin = await dataDirClient(world.stowage.dataDir, "kubernetes-admin", ["system:masters"]);
  return { ca: admin.ca, cert: admin.cert, key: admin.key };
}

/** Opens an exec websocket, sends `frames` once open, and collects every channel until the server closes. */
function session(
  tls: WebSocket.ClientOptions,
  url: string,
  protocols: string[],
  frames: Buffer[] = [],
): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, tls);
    const channels = new Map<number, Buffer>();
    ws.on("open", () => {
      for (const frame of frames) ws.send(frame);
    });
    ws.on("message", (data: Buffer) => {
      channels.set(data[0], Buffer.concat([channels.get(data[0]) ?? Buffer.alloc(0), data.subarray(1)]));
    });
    ws.on("close", (code) => resolve({ protocol: ws.protocol, channels, closeCode: code }));
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => reject(new Error(`${res.statusCode}: ${body}`)));
    });
    ws.on("error", reject);
  });
}

const text = (s: Session, channel: number) => s.channels.get(channel)?.toString() ?? "";
const frame = (channel: number, data: string | number[]) =>
  Buffer.concat([Buffer.from([channel]), Buffer.from(typeof data === "string" ? data : Uint8Array.from(data))]);

test("v5.channel.k8s.io: stdin, its close signal, stdout, stderr and a Success status, then a normal close", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("wire", ["app"], { running: true });
  const url = execUrl(
    world,
    "wire",
    "command=sh&command=-c&command=cat; echo done >%262&stdin=true&stdout=true&stderr=true",
  );
  const s = await session(
    await adminTls(world),
    url,
    ["v5.channel.k8s.io", "v4.channel.k8s.io"],
    [frame(0, "abc\n"), frame(255, [0])],
  );
  assert.equal(s.protocol, "v5.channel.k8s.io");
  assert.equal(text(s, 1), "abc\n");
  assert.equal(text(s, 2), "done\n");
  assert.deepEqual(JSON.parse(text(s, 3)), { metadata: {}, status: "Success" });
  assert.equal(s.closeCode, 1000);
});

test("v4.channel.k8s.io: a non-zero exit is a NonZeroExitCode Status with the ExitCode cause", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("wire", ["app"], { running: true });
  const s = await session(
    await adminTls(world),
    execUrl(world, "wire", "command=sh&command=-c&command=exit 7&stdout=true"),
    ["v4.channel.k8s.io"],
  );
  assert.equal(s.protocol, "v4.channel.k8s.io");
  const status = JSON.parse(text(s, 3));
  assert.equal(status.status, "Failure");
  assert.equal(status.reason, "NonZeroExitCode");
  assert.deepEqual(status.details.causes, [{ reason: "ExitCode", message: "7" }]);
});

test("a TTY: the command runs on a terminal and resize messages set its size", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("wire", ["app"], { running: true });
  // The command waits for a line of input; the resize sent before it is applied first.
  const url = execUrl(
    world,
    "wire",
    "command=sh&command=-c&command=read x; tty; stty size&stdin=true&stdout=true&tty=true",
  );
  const s = await session(
    await adminTls(world),
    url,
    ["v5.channel.k8s.io"],
    [frame(4, JSON.stringify({ Width: 100, Height: 31 })), frame(0, "go\r")],
  );
  assert.match(text(s, 1), /\/dev\/pts\/\d+\r\n31 100\r\n/);
  assert.equal(text(s, 2), "", "a TTY has no separate stderr");
  assert.deepEqual(JSON.parse(text(s, 3)), { metadata: {}, status: "Success" });
});

test("an offer without a channel protocol is refused before the upgrade", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("wire", ["app"], { running: true });
  const tls = await adminTls(world);
  await assert.rejects(
    session(tls, execUrl(world, "wire", "command=true&stdout=true"), ["base64.channel.k8s.io"]),
    /400: requested protocol\(s\) are not supported: \[base64\.channel\.k8s\.io\]; supports \[v5\.channel\.k8s\.io v4\.channel\.k8s\.io\]/,
  );
  await assert.rejects(
    session(tls, execUrl(world, "wire", "command=true"), ["v5.channel.k8s.io"]),
    /400: you must specify at least 1 of stdin, stdout, stderr/,
  );
});

test("the kubelet API behind the apiserver refuses callers without the apiserver's certificate", async (t) => {
  const world = await startStreamingWorld(t);
  const pod = await world.createPod("wire", ["app"], { running: true });
  await world.writeLog(pod, "app", "secret");
  const alice = await dataDirClient(world.stowage.dataDir, "alice", ["developers"]);
  const exec = `${world.kubelet.url.replace(/^https/, "wss")}/exec/default/wire/app?command=true&output=1`;
  const refusal = (options: WebSocket.ClientOptions) =>
    new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(exec, ["v5.channel.k8s.io"], options);
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(`${res.statusCode}: ${body}`));
      });
      ws.on("upgrade", () => reject(new Error("the kubelet accepted the upgrade")));
      ws.on("error", reject);
    });
  assert.equal(await refusal({ ca: alice.ca }), "401: Unauthorized");
  assert.equal(
    await refusal({ ca: alice.ca, cert: alice.cert, key: alice.key }),
    "403: Forbidden (user=alice, verb=get, resource=nodes, subresource=proxy)",
  );
  // Through the apiserver (which presents its kubelet client certificate) the same pod answers.
  assert.equal(await world.stowage.kubectl("logs", "wire"), "secret\n");
});
