// /metrics on the standalone controller-manager and scheduler, served as kube-controller-manager and kube-scheduler
// serve it: HTTPS on --secure-port/--bind-address (their own certificate from --tls-cert-file/--tls-private-key-file,
// else a self-signed one made at start, as upstream makes one), and delegated authorization — the caller's identity
// from a client certificate verified against --client-ca-file, then a SubjectAccessReview asked of the apiserver
// ("get" on the non-resource path /metrics), so RBAC decides as it does for the apiserver's own /metrics
// (system:monitoring). No anonymous access: a request without a verified certificate is 401. /healthz is always
// allowed, as upstream's --authorization-always-allow-paths default. Bearer tokens would need TokenReview, which the
// apiserver does not serve yet: they are refused (401).
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import type { Command } from "commander";
import { register } from "prom-client";
import { AllAuthenticated } from "../api/user.js";
import { reviewAccess, type Client } from "../client/index.js";
import { createCertificateAuthority, issueCertificate } from "../support/pki.js";
import { listenOn } from "../support/listen.js";

export interface SecureServingFlags {
  securePort: number;
  bindAddress: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
}

/** kube-controller-manager's and kube-scheduler's secure-serving and delegated-authentication flags. */
export function addSecureServingFlags(command: Command, upstreamPort: number): Command {
  return command
    .option(
      "--secure-port <port>",
      `serve /metrics and /healthz over HTTPS on this port (upstream's default is ${upstreamPort}; 0, the default ` +
        "here, serves nothing, so that several on one machine do not collide)",
      portFlag,
      0,
    )
    .option("--bind-address <ip>", "the address --secure-port listens on", "0.0.0.0")
    .option("--tls-cert-file <file>", "the serving certificate (PEM); without it a self-signed one is made at start")
    .option("--tls-private-key-file <file>", "the serving certificate's private key (PEM)")
    .option("--client-ca-file <file>", "the CA whose client certificates authenticate callers of /metrics");
}

function portFlag(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new Error(`"${text}" is not a port: want 0 to 65535`);
  return port;
}

export interface SecureMetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Starts the secure server when --secure-port is set; undefined otherwise. */
export async function serveSecureMetrics(
  flags: SecureServingFlags,
  client: Client,
  component: string,
): Promise<SecureMetricsServer | undefined> {
  if (flags.securePort === 0) return undefined;
  if (Boolean(flags.tlsCertFile) !== Boolean(flags.tlsPrivateKeyFile)) {
    throw new Error("--tls-cert-file and --tls-private-key-file go together: give both or neither");
  }
  const serving =
    flags.tlsCertFile && flags.tlsPrivateKeyFile
      ? { cert: readFileSync(flags.tlsCertFile, "utf8"), key: readFileSync(flags.tlsPrivateKeyFile, "utf8") }
      : await selfSigned(component, flags.bindAddress);
  const clientCA = flags.clientCaFile ? readFileSync(flags.clientCaFile, "utf8") : undefined;
  const server: Server = createServer(
    { ...serving, ...(clientCA ? { ca: clientCA, requestCert: true, rejectUnauthorized: false } : {}) },
    (req, res) => void answer(req, res, client, clientCA !== undefined),
  );
  const { address } = await listenOn(server, `${flags.bindAddress}:${flags.securePort}`);
  return {
    url: `https://${address}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Upstream makes "<host>@<timestamp>" self-signed; ours is signed by a throwaway CA, which clients must skip-verify. */
async function selfSigned(component: string, bindAddress: string) {
  const ca = await createCertificateAuthority(`${component}-ca@${Math.floor(Date.now() / 1000)}`, 365);
  const hosts = ["localhost", "127.0.0.1", ...(bindAddress === "0.0.0.0" ? [] : [bindAddress])];
  return issueCertificate(ca, { commonName: component, usage: "server", hosts, validDays: 365 });
}

function send(res: ServerResponse, code: number, body: string, type = "text/plain; charset=utf-8"): void {
  res.writeHead(code, { "content-type": type, "x-content-type-options": "nosniff" }).end(body);
}

async function answer(req: IncomingMessage, res: ServerResponse, client: Client, verifying: boolean): Promise<void> {
  const path = new URL(req.url ?? "/", "https://component").pathname;
  if (req.method !== "GET") return send(res, 405, "method not allowed\n");
  if (path === "/healthz") return send(res, 200, "ok");
  if (path !== "/metrics") return send(res, 404, "404 page not found\n");
  const user = verifying ? certificateUser(req) : undefined;
  if (!user) return send(res, 401, "Unauthorized\n");
  try {
    const allowed = await reviewAccess(client, {
      user: user.name,
      groups: user.groups,
      nonResourceAttributes: { path, verb: "get" },
    });
    if (!allowed.allowed) {
      const reason = allowed.reason ? `: ${allowed.reason}` : "";
      return send(res, 403, `Forbidden: user "${user.name}" cannot get path "${path}"${reason}\n`);
    }
    send(res, 200, await register.metrics(), register.contentType);
  } catch (err) {
    send(res, 500, `authorization failed: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

/** The verified client certificate's user: CN, and O as groups (plus system:authenticated). */
function certificateUser(req: IncomingMessage): { name: string; groups: string[] } | undefined {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return undefined;
  const subject = socket.getPeerCertificate()?.subject ?? {};
  const name = typeof subject.CN === "string" ? subject.CN : "";
  if (!name) return undefined;
  const groups = subject.O === undefined ? [] : ([] as string[]).concat(subject.O);
  return { name, groups: [...groups, AllAuthenticated] };
}
