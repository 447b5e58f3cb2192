// An apiserver started as `stowage apiserver --tls-cert-file … --client-ca-file … --token-auth-file …
// --authorization-mode Node,RBAC` answers the real kubectl as kube-apiserver does: over HTTPS, the admin's client
// certificate (group system:masters) may do anything, no credentials is system:anonymous (403), a wrong token 401,
// a token user only what RoleBindings grant, and `kubectl auth can-i` tells the truth.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { get as httpsGet } from "node:https";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { eventually } from "../e2e/stowage.js";
import { MemoryStore } from "../store/memory.js";
import { createCertificateAuthority, issueCertificate } from "../support/pki.js";
import { StaticTokens } from "./authn/tokenfile.js";
import { createApiServer } from "./server.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

/** A GET over HTTPS trusting only our CA, without any credentials; the Status (or body) it answers. */
function getJson(base: string, ca: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(new URL(path, base), { ca }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
  });
}

async function startSecured(t: TestContext) {
  const dir = await mkdtemp(join(tmpdir(), "stowage-secure-"));
  const ca = await createCertificateAuthority("stowage-ca", 30);
  const serving = await issueCertificate(ca, {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["127.0.0.1"],
    validDays: 30,
  });
  const admin = await issueCertificate(ca, {
    commonName: "kubernetes-admin",
    organizations: ["system:masters"],
    usage: "client",
    validDays: 30,
  });
  const store = new MemoryStore();
  const server = await createApiServer({
    store,
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    security: {
      authentication: { tokens: StaticTokens.parse("alice-token,alice,1001\n"), anonymous: true },
      authorization: ["Node", "RBAC"],
    },
    log: () => undefined,
  });
  const listener = await server.listen("127.0.0.1:0");
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });
  const kubeconfig = async (name: string, user: Record<string, string>) => {
    const file = join(dir, `${name}.kubeconfig`);
    const userLines = Object.entries(user).map(([k, v]) => `    ${k}: ${v}`);
    await writeFile(
      file,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: s",
        "  cluster:",
        `    server: ${listener.url}`,
        `    certificate-authority-data: ${b64(ca.cert)}`,
        "contexts:",
        "- name: s",
        "  context: {cluster: s, user: u, namespace: default}",
        "current-context: s",
        "users:",
        "- name: u",
        "  user:",
        ...(userLines.length ? userLines : ["    {}"]),
        "",
      ].join("\n"),
    );
    return async (...args: string[]) => {
      // stdin closed: kubectl without credentials would otherwise wait for a username prompt
      const child = execFile("kubectl", ["--kubeconfig", file, "--cache-dir", join(dir, `cache-${name}`), ...args]);
      child.stdin?.end();
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => (out += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const [code] = (await once(child, "close")) as [number | null];
      return { code: code ?? -1, out };
    };
  };
  return {
    url: listener.url,
    admin: await kubeconfig("admin", { "client-certificate-data": b64(admin.cert), "client-key-data": b64(admin.key) }),
    caCert: ca.cert,
    alice: await kubeconfig("alice", { token: "alice-token" }),
    wrong: await kubeconfig("wrong", { token: "not-a-token" }),
  };
}

test("over HTTPS the admin's certificate may do anything; no credentials is system:anonymous and gets 403", async (t) => {
  const s = await startSecured(t);
  assert.match(s.url, /^https:\/\//);
  const adminGet = await s.admin("get", "pv");
  assert.equal(adminGet.code, 0, adminGet.out);
  assert.match(adminGet.out, /No resources found/);
  // no credentials at all (kubectl itself would stop to prompt for a username): a plain HTTPS request
  const anonymous = await getJson(s.url, s.caCert, "/api/v1/persistentvolumes");
  assert.equal(anonymous.status, 403);
  assert.equal(anonymous.body.reason, "Forbidden");
  assert.equal(
    anonymous.body.message,
    'persistentvolumes is forbidden: User "system:anonymous" cannot list resource "persistentvolumes" in API group "" at the cluster scope',
  );
  assert.equal((await getJson(s.url, s.caCert, "/healthz")).status, 200, "/healthz stays open to anyone");
  const wrong = await s.wrong("get", "pv");
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.out, /Unauthorized|You must be logged in to the server/);
});

test("a token user may do only what RoleBindings grant, and kubectl auth can-i says so truthfully", async (t) => {
  const s = await startSecured(t);
  const denied = await s.alice("get", "pvc", "-n", "default");
  assert.notEqual(denied.code, 0);
  assert.match(
    denied.out,
    /User "alice" cannot list resource "persistentvolumeclaims" in API group "" in the namespace "default"/,
  );
  assert.equal((await s.alice("auth", "can-i", "list", "persistentvolumeclaims")).out.trim(), "no");

  const granted = await s.admin(
    "create",
    "rolebinding",
    "alice-view",
    "--clusterrole=view",
    "--user=alice",
    "-n",
    "default",
  );
  assert.equal(granted.code, 0, granted.out);
  // the authorizer's cache follows the store's watch: wait for the binding to take effect, as a user would retry
  const listed = await eventually(async () => {
    const result = await s.alice("get", "pvc", "-n", "default");
    return result.code === 0 ? result : undefined;
  }, 10_000);
  assert.equal(listed.code, 0, listed.out);
  assert.equal((await s.alice("auth", "can-i", "list", "persistentvolumeclaims")).out.trim(), "yes");
  assert.equal((await s.alice("auth", "can-i", "create", "persistentvolumeclaims")).out.trim(), "no");
  assert.equal((await s.alice("auth", "can-i", "get", "secrets")).out.trim(), "no");
  assert.equal(
    (await s.alice("auth", "can-i", "list", "persistentvolumeclaims", "-n", "kube-system")).out.trim(),
    "no",
  );
  // the admin asks on alice's behalf (impersonation)
  assert.equal((await s.admin("auth", "can-i", "list", "pvc", "--as", "alice")).out.trim(), "yes");
  assert.equal((await s.admin("auth", "can-i", "delete", "pvc", "--as", "alice")).out.trim(), "no");
  // alice may not impersonate anyone
  const escalate = await s.alice("get", "pv", "--as", "kubernetes-admin");
  assert.match(
    escalate.out,
    /users "kubernetes-admin" is forbidden: User "alice" cannot impersonate resource "users" in API group ""/,
  );
});
