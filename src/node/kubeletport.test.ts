// Where the node agent's kubelet port listens, as the Node tells the apiserver, and that an agent without the
// port's TLS material does not start at all.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "../client/index.js";
import { nodeName, startNodeTest } from "../e2e/node.js";
import { startStowage } from "../e2e/stowage.js";
import { startNodeAgent } from "./agent.js";
import { hostIP } from "./nodestatus.js";
import { KubeletTlsMissingError } from "./server/auth.js";

/** "connected", or the error code connecting to host:port gave. */
const reach = (host: string, port: number) =>
  new Promise<string>((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("error", (err: Error & { code?: string }) => resolve(err.code ?? err.message));
  });

const noExternalAddress = hostIP() === "127.0.0.1";

test("by default the kubelet port listens on the node's InternalIP only", { skip: noExternalAddress }, async (t) => {
  const node = await startNodeTest(t);
  const registered = await node.client.nodes.get(nodeName);
  const internalIP = registered.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
  const port = registered.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
  assert.equal(internalIP, hostIP());
  assert.equal(await reach(hostIP(), port), "connected");
  assert.equal(await reach("127.0.0.1", port), "ECONNREFUSED");
});

test(
  "--kubelet-address 127.0.0.1: the port is on loopback only, and the Node says so",
  { skip: noExternalAddress },
  async (t) => {
    const node = await startNodeTest(t, { kubeletAddress: "127.0.0.1" });
    const registered = await node.client.nodes.get(nodeName);
    const internalIP = registered.status?.addresses?.find((a) => a.type === "InternalIP")?.address;
    const port = registered.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    assert.equal(internalIP, "127.0.0.1", "the apiserver dials the Node's InternalIP: where the port is");
    assert.equal(await reach("127.0.0.1", port), "connected");
    assert.equal(await reach(hostIP(), port), "ECONNREFUSED");
  },
);

test("an agent without its kubelet TLS material does not start and registers nothing", async (t) => {
  const stowage = await startStowage(t, { store: "memory" });
  const client = createClient(stowage.transport());
  const rootDir = await mkdtemp(join(tmpdir(), "node-no-tls-"));
  t.after(() => rm(rootDir, { recursive: true, force: true }));
  await assert.rejects(
    startNodeAgent({ client, nodeName: "bare", rootDir, signal: AbortSignal.timeout(30_000), log: () => undefined }),
    (err: unknown) =>
      err instanceof KubeletTlsMissingError &&
      /--tls-cert-file, --tls-private-key-file and --client-ca-file/.test(err.message),
  );
  assert.deepEqual((await client.nodes.list()).items, []);
});
