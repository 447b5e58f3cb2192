// What an attacker with the right certificate (or the apiserver, proxying a client byte for byte) can send the
// kubelet port that breaks the rules: a malformed URL escape and a websocket frame that breaks the protocol. Each
// is that request's error, and the server (here the test process itself) goes on serving.
import assert from "node:assert/strict";
import { request } from "node:https";
import { connect, type TLSSocket } from "node:tls";
import { test } from "node:test";
import { dataDirClient } from "../../e2e/kubelettls.js";
import { startStreamingWorld } from "../../e2e/streaming.js";

interface Tls {
  ca: string;
  cert: string;
  key: string;
}

function get(url: string, tls: Tls): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once("error", reject);
    req.end();
  });
}

/** Raw bytes over TLS: the upgrade request written by hand, so that the frames after it can break the rules. */
function openRaw(url: string, path: string, tls: Tls): Promise<{ socket: TLSSocket; received: () => Buffer }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), servername: "localhost", ...tls }, () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
          `Sec-WebSocket-Protocol: v5.channel.k8s.io\r\n\r\n`,
      );
    });
    let bytes = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (bytes.includes("\r\n\r\n")) resolve({ socket, received: () => bytes });
    });
    socket.once("error", reject);
  });
}

test("GET /containerLogs/%ZZ/a/b on the kubelet port is a 400, and the port still serves", async (t) => {
  const world = await startStreamingWorld(t);
  const pod = await world.createPod("web", ["app"], { running: true });
  await world.writeLog(pod, "app", "hello");
  const apiserver = await dataDirClient(world.stowage.dataDir, "kube-apiserver-kubelet-client");
  for (const path of ["/containerLogs/%ZZ/a/b", "/containerLogs/default/%E0%A4%A/app", "/exec/%ZZ/a/b"]) {
    const answer = await get(`${world.kubelet.url}${path}`, apiserver);
    assert.equal(answer.status, 400, `${path}: ${answer.body}`);
    assert.match(answer.body, /invalid URL/);
  }
  const upgrade = await openRaw(world.kubelet.url, "/exec/%ZZ/a/b?command=sh&output=1", apiserver);
  assert.match(upgrade.received().toString(), /^HTTP\/1\.1 400 Bad Request\r\n[^]*invalid URL/);
  upgrade.socket.destroy();
  // The same through the apiserver: its own 400 Status.
  const admin = await dataDirClient(world.stowage.dataDir, "kubernetes-admin", ["system:masters"]);
  const viaApi = await get(`${world.stowage.url}/api/v1/namespaces/%ZZ/pods/web/log`, admin);
  assert.equal(viaApi.status, 400, viaApi.body);
  assert.match(viaApi.body, /invalid URL escape.*"reason":"BadRequest"/);

  const good = await get(`${world.kubelet.url}/containerLogs/default/web/app`, apiserver);
  assert.deepEqual(good, { status: 200, body: "hello\n" });
});

test("an unmasked websocket frame on an exec session closes that session with 1002; others go on", async (t) => {
  const world = await startStreamingWorld(t);
  await world.createPod("shell", ["app"], { running: true });
  const admin = await dataDirClient(world.stowage.dataDir, "kubernetes-admin", ["system:masters"]);
  const path = "/api/v1/namespaces/default/pods/shell/exec?command=cat&stdin=true&stdout=true";
  for (let i = 0; i < 3; i++) {
    const session = await openRaw(world.stowage.url, path, admin);
    assert.match(session.received().toString(), /^HTTP\/1\.1 101 /);
    const closed = new Promise<void>((resolve) => session.socket.once("close", () => resolve()));
    // FIN + binary, payload length 2 with no MASK bit: a client's frame must be masked (RFC 6455 5.1).
    session.socket.write(Buffer.from([0x82, 0x02, 0x00, 0x41]));
    await closed;
    const frames = session.received().subarray(session.received().indexOf("\r\n\r\n") + 4);
    const close = frames.indexOf(Buffer.from([0x88]));
    assert.ok(close >= 0, `no close frame in ${frames.toString("hex")}`);
    assert.equal(frames.readUInt16BE(close + 2), 1002);
  }
  // A well-behaved session afterwards runs as before.
  const kubectl = world.kubectlProcess("exec", "shell", "--", "echo", "still here");
  assert.equal((await kubectl.exited).code, 0, kubectl.stderr());
  assert.equal(kubectl.output(), "still here\n");
});
