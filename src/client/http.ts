// The HTTP transport: Kubernetes REST over node:http(s) with one keep-alive agent per transport. Watch
// answers stream (each chunk handed on as it arrives); everything else is read whole. Aborting the
// request's signal closes the socket, which is how a watch ends from the client side.
import http from "node:http";
import https from "node:https";
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { Kubeconfig } from "./kubeconfig.js";
import { endWithBody } from "../support/endwithbody.js";
import type { Transport } from "./transport.js";
import { failoverTransport } from "./failover.js";

export type HttpTransport = Transport & {
  readonly server: string;
  /** Closes idle keep-alive sockets; in-flight requests finish. */
  close(): void;
};

/** The apiserver the kubeconfig names, or (several `servers`) each of them with failover between them. */
export function httpTransport(kubeconfig: Pick<Kubeconfig, "server"> & Partial<Kubeconfig>): HttpTransport {
  const servers = kubeconfig.servers ?? [];
  if (servers.length <= 1) return serverTransport(kubeconfig);
  return failoverTransport(servers.map((server) => serverTransport({ ...kubeconfig, server })));
}

function serverTransport(kubeconfig: Pick<Kubeconfig, "server"> & Partial<Kubeconfig>): HttpTransport {
  const base = new URL(kubeconfig.server);
  const secure = base.protocol === "https:";
  const agent = secure
    ? new https.Agent({
        keepAlive: true,
        ca: kubeconfig.certificateAuthority,
        cert: kubeconfig.clientCertificate,
        key: kubeconfig.clientKey,
        rejectUnauthorized: !kubeconfig.insecureSkipTlsVerify,
        servername: kubeconfig.tlsServerName,
      })
    : new http.Agent({ keepAlive: true });
  const hostname = base.hostname.replace(/^\[(.*)\]$/, "$1"); // IPv6 literals come bracketed in URLs
  const port = base.port ? Number(base.port) : secure ? 443 : 80;
  const prefix = base.pathname.replace(/\/+$/, "");

  const transport = async (request: ApiRequest): Promise<ApiResponse> => {
    try {
      return await send(request);
    } catch (err) {
      // A keep-alive socket the server closed while idle fails the next request before it is read
      // (Node's documented reusedSocket case): the request never arrived, so sending it again is safe.
      if (err instanceof StaleSocketError && !request.signal?.aborted) return send(request);
      throw err instanceof StaleSocketError ? err.cause : err;
    }
  };

  const send = (request: ApiRequest): Promise<ApiResponse> =>
    new Promise<ApiResponse>((resolvePromise, reject) => {
      const headers: Record<string, string> = { ...request.headers };
      if (kubeconfig.token) headers.authorization = `Bearer ${kubeconfig.token}`;
      if (request.body) headers["content-length"] = String(request.body.byteLength);
      const query = request.query.toString();
      const streaming = request.query.get("watch") === "true" || request.query.get("watch") === "1";
      const options: http.RequestOptions = {
        hostname,
        port,
        method: request.method,
        path: prefix + request.path + (query ? `?${query}` : ""),
        headers,
        agent,
        signal: request.signal,
      };
      const outgoing = (secure ? https : http).request(options, (incoming) => {
        const status = incoming.statusCode ?? 0;
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(incoming.headers)) {
          if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(", ") : value;
        }
        if (streaming && status === 200) {
          resolvePromise({ status, headers: responseHeaders, body: incoming as AsyncIterable<Uint8Array> });
          return;
        }
        const chunks: Buffer[] = [];
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
        incoming.on("end", () => resolvePromise({ status, headers: responseHeaders, body: Buffer.concat(chunks) }));
        incoming.on("error", reject);
      });
      outgoing.on("error", (err: NodeJS.ErrnoException) => {
        const stale = outgoing.reusedSocket && (err.code === "ECONNRESET" || err.code === "EPIPE");
        reject(stale ? new StaleSocketError(err) : err);
      });
      endWithBody(outgoing, request.body);
    });
  return Object.assign(transport, { server: kubeconfig.server, close: () => agent.destroy() });
}

class StaleSocketError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}
