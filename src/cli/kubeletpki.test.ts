// A data dir's CA locks the kubelet port of `stowage up`: the node's serving certificate and the apiserver's kubelet
// client certificate it issues work together over a real handshake, and are kept for the next start.
import assert from "node:assert/strict";
import { request } from "node:https";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { startKubeletServer } from "../node/server/server.js";
import { certificateFacts } from "../support/pki.js";
import { apiserverKubeletClient, kubeletServingTls } from "./kubeletpki.js";
import { DataDirPki } from "./pki.js";

test("the data dir's kubelet certificates: the apiserver's client reaches a node's kubelet port", async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "kubeletpki-"));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const pki = await DataDirPki.open(dataDir);
  const serving = await kubeletServingTls(pki, "node-1", "127.0.0.1");
  const facts = certificateFacts(serving.cert);
  assert.equal(facts.commonName, "system:node:node-1");
  assert.ok(facts.hosts.includes("127.0.0.1") && facts.hosts.includes("node-1"), facts.hosts.join(" "));
  const client = await apiserverKubeletClient(pki);
  assert.equal(certificateFacts(client.cert).commonName, "kube-apiserver-kubelet-client");
  assert.deepEqual(certificateFacts(client.cert).organizations, ["system:masters"]);

  const kubelet = await startKubeletServer({
    address: "127.0.0.1:0",
    tls: serving,
    rootDir: dataDir,
    getPod: () => undefined,
    runtime: () => undefined,
    log: () => undefined,
  });
  t.after(() => kubelet.close());
  const answer = await new Promise<string>((resolve, reject) => {
    const req = request(`${kubelet.url}/healthz`, { ...client, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(`${res.statusCode} ${body}`));
    });
    req.once("error", reject);
    req.end();
  });
  assert.equal(answer, "200 ok");

  // A second start on the same data dir keeps both.
  const again = await DataDirPki.open(dataDir);
  assert.equal((await kubeletServingTls(again, "node-1", "127.0.0.1")).cert, serving.cert);
  assert.equal((await apiserverKubeletClient(again)).cert, client.cert);
});
