// A secured apiserver for kubectl tests, as `stowage apiserver` runs with --client-ca-file and
// --authorization-mode=Node,RBAC: HTTPS, client certificates from a test CA, and the real kubectl as any identity
// (CN = user, O = groups) or with a bearer token, the admin being kubernetes-admin in system:masters.
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

export interface KubectlResult {
  code: number;
  stdout: string;
  /** Errors, and the Warning: lines kubectl prints for the response's Warning headers. */
  stderr: string;
}

/** Runs kubectl as one identity; `input` is its stdin (for `-f -`). */
export type Kubectl = (args: string[], input?: string) => Promise<KubectlResult>;

export interface SecuredApiServer {
  handler: ApiHandler;
  url: string;
  admin: Kubectl;
  /** kubectl with a client certificate for `user` in `groups`. */
  as(user: string, groups?: string[]): Promise<Kubectl>;
  /** kubectl presenting a bearer token. */
  withToken(token: string): Promise<Kubectl>;
  /** A GET over HTTPS trusting only the test CA, with a bearer token if given: the status and the parsed body. */
  getJson(path: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
}

const b64 = (text: string) => Buffer.from(text).toString("base64");

export async function startSecuredApiServer(
  t: TestContext,
  options: Partial<ApiServerOptions> = {},
): Promise<SecuredApiServer> {
  const dir = await mkdtemp(join(tmpdir(), "stowage-secured-"));
  const ca = await createCertificateAuthority("stowage-test-ca", 1);
  const serving = await issueCertificate(ca, {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["127.0.0.1"],
    validDays: 1,
  });
  const server = await createApiServer({
    store: new MemoryStore(),
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    security: { authentication: { anonymous: false }, authorization: ["Node", "RBAC"] },
    log: () => undefined,
    ...options,
  });
  const listener = await server.listen("127.0.0.1:0");
  t.after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  let count = 0;
  const kubectl = async (user: Record<string, string>): Promise<Kubectl> => {
    const file = join(dir, `user-${++count}.kubeconfig`);
    await writeFile(file, kubeconfig(listener.url, ca.cert, user));
    return async (args, input) => {
      const child = execFile("kubectl", ["--kubeconfig", file, "--cache-dir", join(dir, "cache"), ...args]);
      child.stdin?.end(input ?? "");
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      const [code] = (await once(child, "close")) as [number | null];
      return { code: code ?? -1, stdout, stderr };
    };
  };
  const as = async (user: string, groups: string[] = []): Promise<Kubectl> => {
    const cert = await issueCertificate(ca, { commonName: user, organizations: groups, usage: "client", validDays: 1 });
    return kubectl({ "client-certificate-data": b64(cert.cert), "client-key-data": b64(cert.key) });
  };
  return {
    handler: server.handler,
    url: listener.url,
    admin: await as("kubernetes-admin", ["system:masters"]),
    as,
    withToken: (token) => kubectl({ token }),
    getJson: (path, token) => getJson(listener.url, ca.cert, path, token),
  };
}

function kubeconfig(server: string, caCert: string, user: Record<string, string>): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: s",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caCert)}`,
    "contexts:",
    "- name: s",
    "  context: {cluster: s, user: u, namespace: default}",
    "current-context: s",
    "users:",
    "- name: u",
    "  user:",
    ...Object.entries(user).map(([key, value]) => `    ${key}: ${value}`),
    "",
  ].join("\n");
}

/** Runs kubectl and fails the test, with what kubectl said, unless it succeeds. */
export async function ok(kubectl: Kubectl, args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
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
