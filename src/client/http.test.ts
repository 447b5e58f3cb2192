import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { createServer } from "node:tls";
import { promisify } from "node:util";
import { createClient } from "./client.js";
import { httpTransport } from "./http.js";
import { loadKubeconfig } from "./kubeconfig.js";
import { startTestApiServer } from "../e2e/apiserver.js";
import { volume } from "./testing/objects.js";

/** A TLS front for the test apiserver with a fresh self-signed certificate for 127.0.0.1. */
async function tlsFront(t: TestContext, targetUrl: string): Promise<{ url: string; cert: Buffer }> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-tls-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  await promisify(execFile)("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"],
    ...["-keyout", key, "-out", certFile, "-subj", "/CN=stowage", "-addext", "subjectAltName=IP:127.0.0.1"],
  ]);
  const cert = await readFile(certFile);
  const target = new URL(targetUrl);
  const server = createServer({ key: await readFile(key), cert }, (socket) => {
    const upstream = connect(Number(target.port), target.hostname);
    socket.pipe(upstream).pipe(socket);
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on("error", close);
    upstream.on("error", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, cert };
}

async function kubeconfigFor(t: TestContext, server: string, cluster: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-kc-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, "kubeconfig");
  await writeFile(
    file,
    [
      "current-context: c",
      `clusters: [{name: k, cluster: {server: "${server}"${cluster}}}]`,
      "contexts: [{name: c, context: {cluster: k, user: u}}]",
      "users: [{name: u, user: {token: abc}}]",
    ].join("\n"),
  );
  return file;
}

test("over https the client trusts the kubeconfig's certificate-authority-data and refuses an unknown server", async (t) => {
  const api = await startTestApiServer(t);
  const front = await tlsFront(t, api.url);

  const trusted = await kubeconfigFor(t, front.url, `, certificate-authority-data: ${front.cert.toString("base64")}`);
  const transport = httpTransport(loadKubeconfig(trusted));
  t.after(() => transport.close());
  const client = createClient(transport);
  await client.persistentVolumes.create(volume("tls-pv"));
  assert.equal((await client.persistentVolumes.get("tls-pv")).metadata.name, "tls-pv");

  const untrusted = httpTransport(loadKubeconfig(await kubeconfigFor(t, front.url, "")));
  t.after(() => untrusted.close());
  await assert.rejects(createClient(untrusted).persistentVolumes.get("tls-pv"), /self[- ]signed certificate/);

  const skipping = httpTransport(loadKubeconfig(await kubeconfigFor(t, front.url, ", insecure-skip-tls-verify: true")));
  t.after(() => skipping.close());
  assert.equal((await createClient(skipping).persistentVolumes.get("tls-pv")).metadata.name, "tls-pv");
});

test("aborting a request's signal over HTTP rejects it, and the transport keeps working", async (t) => {
  const api = await startTestApiServer(t);
  const transport = httpTransport({ server: api.url });
  t.after(() => transport.close());
  const client = createClient(transport);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(client.persistentVolumes.list({ signal: controller.signal }), { name: "AbortError" });
  assert.deepEqual((await client.persistentVolumes.list()).items, []);
});
