// Over TLS the apiserver offers HTTP/2 first, as kube-apiserver does: a client-go style client (one connection,
// many streams) creates, reads and watches over it, while an HTTP/1.1-only client on the same port sees the same
// objects, and credentials are checked per stream as per request.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { request as httpsRequest } from "node:https";
import { test, type TestContext } from "node:test";
import { MemoryStore } from "../store/memory.js";
import { createCertificateAuthority, issueCertificate } from "../support/pki.js";
import { createApiServer } from "./server.js";

async function startServer(t: TestContext) {
  const ca = await createCertificateAuthority("stowage-test-ca", 1);
  const serving = await issueCertificate(ca, {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["127.0.0.1"],
    validDays: 1,
  });
  const admin = await issueCertificate(ca, {
    commonName: "kubernetes-admin",
    organizations: ["system:masters"],
    usage: "client",
    validDays: 1,
  });
  const server = await createApiServer({
    store: new MemoryStore(),
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    security: { authentication: { anonymous: false }, authorization: ["Node", "RBAC"] },
    log: () => undefined,
  });
  const { url } = await server.listen("127.0.0.1:0");
  t.after(() => server.close());
  return { url, ca: ca.cert, admin: { cert: admin.cert, key: admin.key } };
}

async function session(t: TestContext, url: string, tls: { ca: string; cert?: string; key?: string }) {
  const client = connect(url, tls);
  t.after(() => client.close());
  await once(client, "connect");
  return client;
}

async function h2(client: ClientHttp2Session, method: string, path: string, body?: object) {
  const stream = client.request({
    ":method": method,
    ":path": path,
    ...(body ? { "content-type": "application/json" } : {}),
  });
  stream.end(body ? JSON.stringify(body) : undefined);
  const [headers] = (await once(stream, "response")) as [Record<string, string | number>];
  let text = "";
  for await (const chunk of stream) text += (chunk as Buffer).toString();
  return { status: Number(headers[":status"]), body: JSON.parse(text) as Record<string, unknown> };
}

function http1Post(url: string, tls: object, path: string, body: object): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${url}${path}`, {
      method: "POST",
      ...tls,
      headers: { "content-type": "application/json" },
    });
    req.on("response", (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

/** The next watch event on a stream, parsed from its newline-delimited JSON. */
async function nextEvent(stream: ClientHttp2Stream): Promise<{ type: string; object: { metadata: { name: string } } }> {
  let pending = "";
  for await (const chunk of stream) {
    pending += (chunk as Buffer).toString();
    const nl = pending.indexOf("\n");
    if (nl >= 0) return JSON.parse(pending.slice(0, nl)) as { type: string; object: { metadata: { name: string } } };
  }
  throw new Error("the watch ended before an event");
}

const configMap = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { a: "b" } });

test("HTTPS negotiates HTTP/2; creates, reads and a watch over it agree with an HTTP/1.1 client", async (t) => {
  const { url, ca, admin } = await startServer(t);
  const client = await session(t, url, { ca, ...admin });
  assert.equal(client.alpnProtocol, "h2");

  const created = await h2(client, "POST", "/api/v1/namespaces/default/configmaps", configMap("over-h2"));
  assert.equal(created.status, 201);
  const read = await h2(client, "GET", "/api/v1/namespaces/default/configmaps/over-h2");
  assert.equal(read.status, 200);
  assert.deepEqual(read.body.data, { a: "b" });

  const revision = (created.body.metadata as { resourceVersion: string }).resourceVersion;
  const watch = client.request({
    ":path": `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${revision}`,
  });
  watch.end();
  // an HTTP/1.1 client on the same port: the HTTP/2 watch sees its write
  assert.equal(
    await http1Post(url, { ca, ...admin }, "/api/v1/namespaces/default/configmaps", configMap("over-h1")),
    201,
  );
  const event = await nextEvent(watch);
  assert.equal(event.type, "ADDED");
  assert.equal(event.object.metadata.name, "over-h1");
  watch.close();
});

test("HTTP/2 streams are authenticated like requests: no certificate is 401, with a Status", async (t) => {
  const { url, ca } = await startServer(t);
  const client = await session(t, url, { ca });
  const answer = await h2(client, "GET", "/api/v1/namespaces/default/configmaps");
  assert.equal(answer.status, 401);
  assert.equal(answer.body.kind, "Status");
  assert.equal(answer.body.reason, "Unauthorized");
});
