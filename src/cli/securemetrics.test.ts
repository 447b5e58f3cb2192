// /metrics on the standalone controller-manager and scheduler processes, as Prometheus scrapes kube-controller-manager
// and kube-scheduler: HTTPS on --secure-port, a client certificate verified against --client-ca-file, and the
// apiserver's SubjectAccessReview deciding (system:monitoring may; others may not; nobody anonymous).
import assert from "node:assert/strict";
import { request } from "node:https";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import type { ChildProcess } from "node:child_process";
import { killProcess, spawnStowage } from "../e2e/agentprocess.js";
import { stowageBundle } from "../e2e/bundle.js";
import { startStowage } from "../e2e/stowage.js";
import { defaultUpComponents } from "../e2e/parts.js";
import { DataDirPki, pkiDir } from "./pki.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function get(url: string, credentials?: { cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // the component's certificate is self-signed (no --tls-cert-file): Prometheus is told to skip verification too
    const req = request(url, { rejectUnauthorized: false, ...credentials }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("the standalone controller-manager and scheduler serve /metrics to system:monitoring only", async (t) => {
  const [stowage, bundle] = await Promise.all([startStowage(t), stowageBundle(t)]);
  const pki = await DataDirPki.open(stowage.dataDir);
  const prometheus = await pki.issueClient("prometheus", ["system:monitoring"]);
  const alice = await pki.issueClient("alice", []);
  const clientCA = join(pkiDir(stowage.dataDir), "ca.crt");
  const children: ChildProcess[] = [];
  t.after(() => Promise.all(children.map(killProcess)));

  const components = [
    { command: "controller-manager", metric: /^workqueue_adds_total\{name="[^"]+"\} \d+/m },
    { command: "scheduler", metric: /^# TYPE workqueue_adds_total counter$/m },
  ];
  for (const { command, metric } of components) {
    const port = await freePort();
    const args = [command, "--kubeconfig", stowage.kubeconfig, "--leader-elect=false"];
    args.push("--secure-port", String(port), "--bind-address", "127.0.0.1", "--client-ca-file", clientCA);
    children.push(await spawnStowage(args, "serving /metrics on", bundle));
    const url = `https://127.0.0.1:${port}/metrics`;

    const scraped = await get(url, prometheus);
    assert.equal(scraped.status, 200, `${command}: ${scraped.body}`);
    assert.match(scraped.body, metric, command);
    const anonymous = await get(url);
    assert.equal(anonymous.status, 401, `${command} refuses a caller without a certificate`);
    const forbidden = await get(url, alice);
    assert.equal(forbidden.status, 403, `${command}: alice may not read /metrics`);
    assert.match(forbidden.body, /^Forbidden: user "alice" cannot get path "\/metrics"/);
    assert.equal((await get(`https://127.0.0.1:${port}/healthz`)).status, 200, "healthz is always allowed");
  }
});

test("a node's kubelet port serves /metrics to whom RBAC grants nodes/metrics, as the kubelet does", async (t) => {
  const stowage = await startStowage(t, { components: defaultUpComponents() });
  const applied = await stowage.kubectlResult(["apply", "-f", "-"], {
    input: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-metrics-reader}
rules: [{apiGroups: [""], resources: [nodes/metrics], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: prometheus-node-metrics}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-metrics-reader}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: prometheus}]
`,
  });
  assert.equal(applied.code, 0, applied.stderr);
  const pki = await DataDirPki.open(stowage.dataDir);
  const prometheus = await pki.issueClient("prometheus", []);
  const alice = await pki.issueClient("alice", []);
  const node = JSON.parse(await stowage.kubectl("get", "nodes", "-o", "json")).items[0];
  const address = node.status.addresses.find((a: { type: string }) => a.type === "InternalIP").address;
  const url = `https://${address}:${node.status.daemonEndpoints.kubeletEndpoint.Port}/metrics`;

  const scraped = await get(url, prometheus);
  assert.equal(scraped.status, 200, scraped.body);
  assert.match(scraped.body, /^# TYPE volume_manager_total_volumes gauge$/m);
  assert.equal((await get(url)).status, 401, "no certificate, no metrics");
  const forbidden = await get(url, alice);
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body, `Forbidden (user=alice, verb=get, resource=nodes, subresource=metrics)`);
});
