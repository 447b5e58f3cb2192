// The kubelet port is locked: real HTTPS requests to a real kubelet API, with and without client certificates.
// Only the apiserver's kubelet client certificate (or another system:masters one) from the configured client CA
// reads a container's logs or starts an exec; everyone else gets the kubelet's 401 or 403.
import assert from "node:assert/strict";
import { request } from "node:https";
import { connect } from "node:net";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test, type TestContext } from "node:test";
import WebSocket from "ws";
import type { Pod } from "../../api/core/types.js";
import type { CertificateAndKey } from "../../support/pki.js";
import { hostIP } from "../nodestatus.js";
import { containerLogPath, noneRuntime } from "../runtime/runtime.js";
import { createKubeletTestPki, type KubeletTestPki } from "../testing/kubelettls.js";
import { KubeletTlsMissingError, requireKubeletTls } from "./auth.js";
import { formatCriLine } from "./crilog.js";
import { startKubeletServer, type KubeletServer } from "./server.js";

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", uid: "0f5e6c1a-uid" },
  spec: { nodeName: "node-1", containers: [{ name: "app", image: "busybox" }] },
  status: {
    phase: "Running",
    containerStatuses: [
      {
        name: "app",
        ready: true,
        restartCount: 0,
        image: "busybox",
        imageID: "",
        state: { running: { startedAt: "2025-01-01T00:00:00Z" } },
      },
    ],
  },
};

async function startKubelet(t: TestContext, pki: KubeletTestPki, address = "127.0.0.1:0"): Promise<KubeletServer> {
  const rootDir = await mkdtemp(join(tmpdir(), "kubelet-auth-"));
  const log = containerLogPath(rootDir, { namespace: "default", name: "web", uid: pod.metadata.uid ?? "" }, "app");
  await mkdir(dirname(log), { recursive: true });
  await writeFile(log, formatCriLine(new Date(), "stdout", "the secret in the log"));
  const kubelet = await startKubeletServer({
    address,
    tls: await pki.serving("node-1"),
    rootDir,
    getPod: (namespace, name) => (namespace === "default" && name === "web" ? pod : undefined),
    runtime: () => noneRuntime,
    log: () => undefined,
  });
  t.after(async () => {
    await kubelet.close();
    await rm(rootDir, { recursive: true, force: true });
  });
  return kubelet;
}

/** GET over HTTPS, checking the kubelet's serving certificate against `ca`, presenting `client` if given. */
function get(url: string, ca: string, client?: CertificateAndKey): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const identity = client ? { cert: client.cert, key: client.key } : {};
    const req = request(url, { ca, ...identity, agent: false }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once("error", reject);
    req.end();
  });
}

/** An exec upgrade: the refusal's status and body, or "101" when the kubelet accepted the handshake. */
function upgrade(url: string, ca: string, client?: CertificateAndKey): Promise<string> {
  return new Promise((resolve, reject) => {
    const identity = client ? { cert: client.cert, key: client.key } : {};
    const ws = new WebSocket(url, ["v5.channel.k8s.io"], { ca, ...identity });
    ws.on("upgrade", () => {
      ws.terminate();
      resolve("101");
    });
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(`${res.statusCode}: ${body}`));
    });
    ws.on("error", reject);
  });
}

test("the kubelet API answers only the apiserver's kubelet client certificate from its client CA", async (t) => {
  const pki = await createKubeletTestPki();
  const kubelet = await startKubelet(t, pki);
  const logs = `${kubelet.url}/containerLogs/default/web/app`;
  assert.match(kubelet.url, /^https:\/\/127\.0\.0\.1:\d+$/);

  const cases: Array<{ name: string; client?: () => Promise<CertificateAndKey>; status: number; body: string }> = [
    { name: "no client certificate", status: 401, body: "Unauthorized" },
    {
      name: "a certificate from another CA, though it claims the apiserver's identity",
      client: async () => (await createKubeletTestPki("another-ca")).apiserverClient(),
      status: 401,
      body: "Unauthorized",
    },
    {
      name: "a user's certificate from the right CA",
      client: () => pki.client("alice", ["developers"]),
      status: 403,
      body: "Forbidden (user=alice, verb=get, resource=nodes, subresource=proxy)",
    },
    {
      name: "another node's certificate from the right CA",
      client: () => pki.client("system:node:node-2", ["system:nodes"]),
      status: 403,
      body: "Forbidden (user=system:node:node-2, verb=get, resource=nodes, subresource=proxy)",
    },
    {
      name: "the apiserver's kubelet client certificate",
      client: () => pki.apiserverClient(),
      status: 200,
      body: "the secret in the log\n",
    },
    {
      name: "another system:masters certificate (an admin's)",
      client: () => pki.client("kubernetes-admin", ["system:masters"]),
      status: 200,
      body: "the secret in the log\n",
    },
  ];
  for (const c of cases) {
    const client = await c.client?.();
    assert.deepEqual(await get(logs, pki.ca.cert, client), { status: c.status, body: c.body }, c.name);
  }
  // Refused before routing: a stranger cannot even tell which paths exist.
  assert.deepEqual(await get(`${kubelet.url}/nothing-here`, pki.ca.cert), { status: 401, body: "Unauthorized" });
  assert.deepEqual(await get(`${kubelet.url}/healthz`, pki.ca.cert), { status: 401, body: "Unauthorized" });
  const apiserver = await pki.apiserverClient();
  assert.deepEqual(await get(`${kubelet.url}/healthz`, pki.ca.cert, apiserver), { status: 200, body: "ok" });
});

test("exec upgrades are refused before the handshake unless they carry the apiserver's certificate", async (t) => {
  const pki = await createKubeletTestPki();
  const kubelet = await startKubelet(t, pki);
  const exec = `${kubelet.url.replace(/^https/, "wss")}/exec/default/web/app?command=id&output=1`;
  assert.equal(await upgrade(exec, pki.ca.cert), "401: Unauthorized");
  assert.equal(
    await upgrade(exec, pki.ca.cert, await pki.client("alice")),
    "403: Forbidden (user=alice, verb=get, resource=nodes, subresource=proxy)",
  );
  // Past authentication the kubelet's own answer: runtime none has no container to enter.
  assert.equal(await upgrade(exec, pki.ca.cert, await pki.apiserverClient()), '500: container not found ("app")');
});

test("plain HTTP gets no answer from the kubelet port", async (t) => {
  const pki = await createKubeletTestPki();
  const kubelet = await startKubelet(t, pki);
  const plain = await fetch(kubelet.url.replace(/^https/, "http") + "/containerLogs/default/web/app").then(
    (res) => `${res.status}`,
    () => "refused",
  );
  assert.equal(plain, "refused");
});

test("the kubelet port listens only on the address it is given", { skip: hostIP() === "127.0.0.1" }, async (t) => {
  const pki = await createKubeletTestPki();
  const kubelet = await startKubelet(t, pki, "127.0.0.1:0");
  const reach = (host: string) =>
    new Promise<string>((resolve) => {
      const socket = connect({ host, port: kubelet.port });
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("error", (err: Error & { code?: string }) => resolve(err.code ?? err.message));
    });
  assert.equal(await reach("127.0.0.1"), "connected");
  assert.equal(await reach(hostIP()), "ECONNREFUSED");
});

test("without its TLS material the kubelet API does not start, and says which flags give it", async () => {
  assert.throws(() => requireKubeletTls(undefined), KubeletTlsMissingError);
  assert.throws(
    () => requireKubeletTls({ cert: "c", key: "k" }),
    /has no client CA: .*\(--tls-cert-file, --tls-private-key-file and --client-ca-file\)$/,
  );
  await assert.rejects(
    startKubeletServer({
      address: "127.0.0.1:0",
      tls: { cert: "", key: "", clientCA: "" },
      rootDir: tmpdir(),
      getPod: () => undefined,
      runtime: () => undefined,
      log: () => undefined,
    }),
    /has no serving certificate, private key, client CA/,
  );
});
