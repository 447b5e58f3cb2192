// Projected serviceAccountToken volumes through the node agent, against a secured apiserver (Node,RBAC) with a
// ServiceAccount signing key: the agent, as system:node:<name>, requests a token bound to the pod and writes it;
// the file authenticates as the pod's ServiceAccount with the audience and lifetime asked for, and stops working
// once the pod is deleted. A pod whose ServiceAccount does not exist fails to mount with the kubelet's message.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { decodeJwt } from "jose";
import type { Pod } from "../api/core/types.js";
import { NodesGroup, NodeUserPrefix, SystemMasters } from "../api/user.js";
import { createClient, inProcessTransport, type Client } from "../client/index.js";
import { createApiServer, MemoryStore } from "../e2e/parts.js";
import { eventually, nodeName, pod as podWith } from "../e2e/node.js";
import { unmountUnder } from "../e2e/mounts.js";
import { newPrivateKey } from "../support/pki.js";
import { startNodeAgent } from "./agent.js";
import { createKubeletTestPki } from "./testing/kubelettls.js";

const issuer = "https://kubernetes.default.svc.cluster.local";

async function startWorld(t: TestContext) {
  const store = new MemoryStore();
  const server = await createApiServer({
    store,
    log: () => undefined,
    security: { authentication: { anonymous: false }, authorization: ["Node", "RBAC"] },
    serviceAccountTokens: { signingKey: await newPrivateKey() },
  });
  const admin = createClient(inProcessTransport(server.handler, { name: "admin", groups: [SystemMasters] }));
  const node = createClient(
    inProcessTransport(server.handler, { name: `${NodeUserPrefix}${nodeName}`, groups: [NodesGroup] }),
  );
  const rootDir = await mkdtemp(join(tmpdir(), "node-sa-"));
  const abort = new AbortController();
  const kubeletTls = await (await createKubeletTestPki()).serving(nodeName);
  const agent = await startNodeAgent({
    client: node,
    nodeName,
    rootDir,
    kubeletTls,
    signal: abort.signal,
    log: () => undefined,
  });
  t.after(async () => {
    abort.abort();
    await agent.stop();
    await server.close();
    await store.close();
    // a stopped agent leaves its mounts (the projected volume's tmpfs) for its successor; the test's dir goes whole
    await unmountUnder(rootDir);
    await rm(rootDir, { recursive: true, force: true });
  });
  /** GET pods as the bearer of the token: 401 when it does not authenticate, 403 (naming the user) when it does. */
  const asBearer = async (token: string) => {
    const response = await server.handler({
      method: "GET",
      path: "/api/v1/namespaces/default/pods",
      query: new URLSearchParams(),
      headers: { authorization: `Bearer ${token}` },
    });
    const body = JSON.parse(Buffer.from(response.body as Uint8Array).toString()) as { message?: string };
    return { status: response.status, message: body.message ?? "" };
  };
  return { admin, rootDir, asBearer };
}

const tokenPod = (name: string, serviceAccountName?: string): Pod => {
  const pod = podWith(name, [
    {
      name: "kube-api-access",
      projected: {
        sources: [
          { serviceAccountToken: { path: "token", expirationSeconds: 600 } },
          { serviceAccountToken: { path: "vault-token", audience: "vault" } },
        ],
      },
    },
  ]);
  if (serviceAccountName) pod.spec.serviceAccountName = serviceAccountName;
  return pod;
};

const running = (client: Client, name: string) =>
  eventually(async () => {
    const pod = await client.pods.get("default", name);
    return pod.status?.phase === "Running" ? pod : undefined;
  }, 15_000);

test("a projected serviceAccountToken is a token of the pod's ServiceAccount, bound to the pod", async (t) => {
  const { admin, rootDir, asBearer } = await startWorld(t);
  const account = await admin.serviceAccounts.create({ metadata: { name: "default", namespace: "default" } });
  await admin.pods.create(tokenPod("app"));
  const pod = await running(admin, "app");
  const dir = join(rootDir, "pods", pod.metadata.uid ?? "", "volumes", "kubernetes.io~projected", "kube-api-access");
  const token = await readFile(join(dir, "token"), "utf8");
  const claims = decodeJwt(token);
  assert.equal(claims.sub, "system:serviceaccount:default:default");
  assert.deepEqual(claims.aud, [issuer], "no audience asked: the apiserver's own");
  assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 600);
  assert.deepEqual(claims["kubernetes.io"], {
    namespace: "default",
    serviceaccount: { name: "default", uid: account.metadata.uid },
    pod: { name: "app", uid: pod.metadata.uid },
  });
  const vault = decodeJwt(await readFile(join(dir, "vault-token"), "utf8"));
  assert.deepEqual(vault.aud, ["vault"]);
  assert.equal((vault.exp ?? 0) - (vault.iat ?? 0), 3600, "expirationSeconds defaults to an hour");

  const authenticated = await asBearer(token);
  assert.equal(authenticated.status, 403, "authenticated, but nothing is granted");
  assert.match(authenticated.message, /User "system:serviceaccount:default:default" cannot list resource "pods"/);
  assert.equal(
    (await asBearer(await readFile(join(dir, "vault-token"), "utf8"))).status,
    401,
    "not for this apiserver",
  );

  await admin.pods.delete("default", "app");
  await eventually(async () => (await asBearer(token)).status === 401, 20_000);
});

test("a pod whose ServiceAccount does not exist fails to mount its token volume", async (t) => {
  const { admin } = await startWorld(t);
  await admin.pods.create(tokenPod("lost", "builder"));
  const events = await eventually(async () => {
    const seen = (await admin.events.list({ namespace: "default" })).items
      .filter((e) => e.involvedObject.name === "lost" && e.reason === "FailedMount")
      .map((e) => e.message ?? "");
    return seen.length > 0 ? seen : undefined;
  }, 15_000);
  assert.ok(
    events.some((e) =>
      e.includes(
        'MountVolume.SetUp failed for volume "kube-api-access" : failed to fetch token: serviceaccounts "builder" not found',
      ),
    ),
    events.join("\n"),
  );
});
