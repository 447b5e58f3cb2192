// Test wiring only: an apiserver secured as `stowage apiserver --tls-cert-file … --client-ca-file …
// --authorization-mode Node,RBAC` starts it (HTTPS, a client CA, the admin's system:masters certificate), on a
// memory store and a free port, with the real kubectl wired to it as any user a kubeconfig can name.
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { ApiHandler } from "../../api/http.js";
import { MemoryStore } from "../../store/memory.js";
import { createCertificateAuthority, issueCertificate } from "../../support/pki.js";
import { createApiServer, type ApiServerOptions } from "../server.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

export interface KubectlResult {
  code: number;
  stdout: string;
  /** stdout and stderr together, for matching messages wherever kubectl prints them. */
  out: string;
}

export type Kubectl = (...args: string[]) => Promise<KubectlResult>;

export interface SecuredApiServer {
  url: string;
  caCert: string;
  handler: ApiHandler;
  /** kubectl with the admin's client certificate (group system:masters). */
  admin: Kubectl;
  /** kubectl as the user a kubeconfig's user fields name (token, client-certificate-data, …; none: no credentials). */
  kubectl(name: string, user: Record<string, string>): Promise<Kubectl>;
  /** A request over HTTPS trusting only the test CA, with a bearer token if given; the status and parsed body. */
  getJson(path: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

export async function startSecuredApiServer(
  t: TestContext,
  options: Omit<Partial<ApiServerOptions>, "store" | "tls"> = {},
): Promise<SecuredApiServer> {
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
    security: { authentication: { anonymous: true }, authorization: ["Node", "RBAC"] },
    log: () => undefined,
    ...options,
    store,
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
  });
  const listener = await server.listen("127.0.0.1:0");
  t.after(async () => {
    await server.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const kubectl = async (name: string, user: Record<string, string>): Promise<Kubectl> => {
    const file = join(dir, `${name}.kubeconfig`);
    await writeFile(file, kubeconfigText(listener.url, ca.cert, user));
    return async (...args: string[]) => {
      // stdin closed: kubectl without credentials would otherwise wait for a username prompt
      const child = execFile("kubectl", ["--kubeconfig", file, "--cache-dir", join(dir, `cache-${name}`), ...args]);
      child.stdin?.end();
      let stdout = "";
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => ((stdout += chunk.toString()), (out += chunk.toString())));
      child.stderr?.on("data", (chunk: Buffer) => (out += chunk.toString()));
      const [code] = (await once(child, "close")) as [number | null];
      return { code: code ?? -1, stdout, out };
    };
  };
  return {
    url: listener.url,
    caCert: ca.cert,
    handler: server.handler,
    admin: await kubectl("admin", { "client-certificate-data": b64(admin.cert), "client-key-data": b64(admin.key) }),
    kubectl,
    getJson: (path, token) => getJson(listener.url, ca.cert, path, token),
  };
}

function kubeconfigText(url: string, caCert: string, user: Record<string, string>): string {
  const userLines = Object.entries(user).map(([k, v]) => `    ${k}: ${v}`);
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: s",
    "  cluster:",
    `    server: ${url}`,
    `    certificate-authority-data: ${b64(caCert)}`,
    "contexts:",
    "- name: s",
    "  context: {cluster: s, user: u, namespace: default}",
    "current-context: s",
    "users:",
    "- name: u",
    "  user:",
    ...(userLines.length ? userLines : ["    {}"]),
    "",
  ].join("\n");
}

function getJson(
  base: string,
  ca: string,
  path: string,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    const req = httpsRequest(new URL(path, base), { ca, headers }, (res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => (text += chunk.toString()));
      res.on("end", () => {
        let body: Record<string, unknown>;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}
