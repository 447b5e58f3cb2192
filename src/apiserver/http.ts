// node:http and node:http2 adapted to the ApiHandler: bodies read with the 3 MiB limit, watch streams written chunk
// by chunk (HTTP/1.1 chunked transfer or HTTP/2 DATA frames), the request's AbortSignal fired when the client goes
// away. Over TLS the server speaks HTTP/2 as kube-apiserver does (ALPN h2, HTTP/1.1 for clients that only offer it
// and for upgrades): Go clients such as kubectl multiplex their requests over one TLS connection, which halves
// what TLS costs per request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import {
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
} from "node:http2";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import type { ApiHandler, ApiRequest, ApiResponse, ClientCertificate, HttpMethod } from "../api/http.js";
import { maxBodyBytes } from "./decode.js";
import { badRequest, entityTooLarge, StatusError } from "./errors.js";
import { duringRequest } from "../support/guard.js";
import { clientKey, InFlightLimiter, requestTimedOut, type RequestLimits } from "./inflight.js";
import { drainedOrClosed, listenOn } from "../support/listen.js";
import { endWithBody } from "../support/endwithbody.js";

const methods = new Set<HttpMethod>(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** The whole body; event listeners rather than an async iterator, which costs more than a small body's parse. */
function readBody(req: IncomingMessage | Http2ServerRequest): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        req.removeAllListeners("data");
        req.resume();
        reject(entityTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

const safePath = /^\/[A-Za-z0-9\-._~/:@!$&'()*+,;=]*$/;
const dotSegment = /\/\.\.?(\/|$)/;
/**
 * Path and query of a request target. The common shape ("/api/v1/…?a=b", nothing to normalize) is split by hand:
 * a WHATWG URL per request is a measurable share of a small create. Anything unusual goes through URL as before.
 */
function parseTarget(target: string): { path: string; query: URLSearchParams } {
  const q = target.indexOf("?");
  const path = q < 0 ? target : target.slice(0, q);
  if (safePath.test(path) && !path.startsWith("//") && !dotSegment.test(path) && !target.includes("#")) {
    return { path, query: new URLSearchParams(q < 0 ? "" : target.slice(q + 1)) };
  }
  try {
    // "//x/y" is a path, as Go's ParseRequestURI reads a request target, not a host
    const url = target.startsWith("/") ? new URL(`http://stowage${target}`) : new URL(target, "http://stowage");
    return { path: url.pathname, query: url.searchParams };
  } catch {
    throw badRequest(`the request target is not a valid URL: ${JSON.stringify(target.slice(0, 200))}`);
  }
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

function sendStatus(res: Response, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  const retryAfter = err.details?.retryAfterSeconds;
  res.writeHead(err.code, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    ...(retryAfter ? { "retry-after": String(retryAfter) } : {}),
  });
  res.end(body);
}

/** HTTPS: the serving certificate and key, and the CA whose client certificates authenticate (PEM). */
export interface ServingTls {
  cert: string;
  key: string;
  clientCA?: string;
}

/**
 * The client certificate of a request's TLS connection, as the authenticator needs it: the TLS layer asks for one
 * but lets the request through without it (anonymous and token requests), and says whether it verified.
 */
export function clientCertificateOf(socket: Socket): ClientCertificate | undefined {
  const tls = socket as TLSSocket;
  if (!tls.encrypted) return undefined;
  // a keep-alive connection's certificate is read once
  if (peers.has(tls)) return peers.get(tls);
  const certificate = readClientCertificate(tls);
  peers.set(tls, certificate);
  return certificate;
}

const peers = new WeakMap<TLSSocket, ClientCertificate | undefined>();

function readClientCertificate(tls: TLSSocket): ClientCertificate | undefined {
  const peer = tls.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const organizations = peer.subject?.O;
  return {
    verified: tls.authorized,
    commonName: typeof peer.subject?.CN === "string" ? peer.subject.CN : "",
    organizations: organizations === undefined ? [] : ([] as string[]).concat(organizations),
  };
}

export async function serveHttp(
  handler: ApiHandler,
  address: string,
  log: (message: string, err?: unknown) => void,
  /** Requests with an Upgrade header (pods/exec over websockets); without it they are refused. */
  onUpgrade?: (req: IncomingMessage, socket: Socket, head: Buffer) => Promise<void>,
  tls?: ServingTls,
  limits?: RequestLimits,
): Promise<{ url: string; address: string; close(): Promise<void> }> {
  const limiter = new InFlightLimiter(limits);
  const listener = (req: Request, res: Response) =>
    void duringRequest(requestLine(req), () => serve(handler, log, limiter, req, res));
  const server = tls ? secureServer(tls, listener) : createServer({ keepAlive: true }, listener);
  server.keepAliveTimeout = 65_000;
  // Receiving a request (headers and body) is bounded as answering it is; a watch's stream is not a request body.
  server.requestTimeout = limiter.timeoutMs;
  const connections = new Set<Socket>();
  server.on(tls ? "secureConnection" : "connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => connections.delete(socket));
  });
  acceptUpgrades(server, log, onUpgrade, limiter);
  const { address: actual } = await listenOn(server as Server, address);
  return {
    url: `${tls ? "https" : "http"}://${actual}`,
    address: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      }),
  };
}

/**
 * HTTPS with HTTP/2 offered first. The HTTP/1.1 fallback reads the same timeouts as node:http's server, which is
 * why the result is typed with them.
 */
function secureServer(
  tls: ServingTls,
  listener: (req: Request, res: Response) => void,
): Http2SecureServer & Pick<Server, "keepAliveTimeout" | "requestTimeout"> {
  return createSecureServer(
    {
      allowHTTP1: true,
      cert: tls.cert,
      key: tls.key,
      minVersion: "TLSv1.2",
      // kube-apiserver's --http2-max-streams-per-connection default (Go's is 250): watches hold a stream each
      settings: { maxConcurrentStreams: 1000 },
      ...(tls.clientCA ? { ca: tls.clientCA, requestCert: true, rejectUnauthorized: false } : {}),
    },
    listener,
  ) as Http2SecureServer & Pick<Server, "keepAliveTimeout" | "requestTimeout">;
}

/** Hands HTTP/1.1 upgrade requests to `onUpgrade`; close() ends the upgraded sockets with every other connection. */
function acceptUpgrades(
  server: Server | Http2SecureServer,
  log: (message: string, err?: unknown) => void,
  onUpgrade: ((req: IncomingMessage, socket: Socket, head: Buffer) => Promise<void>) | undefined,
  limiter: InFlightLimiter,
): void {
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!onUpgrade) return void socket.destroy();
    // exec sessions per client are capped (system:masters aside): each holds a process and two sockets
    const certificate = clientCertificateOf(socket);
    if (!(certificate?.verified && certificate.organizations.includes("system:masters"))) {
      try {
        const release = limiter.execSessions.take(
          clientKey(certificate, req.headers.authorization, socket.remoteAddress),
        );
        socket.once("close", release);
      } catch (err) {
        const body = JSON.stringify((err as StatusError).toStatus());
        return void socket.end(
          `HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nretry-after: 1\r\n` +
            `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
        );
      }
    }
    duringRequest(requestLine(req), () =>
      onUpgrade(req, socket, head).catch((err: unknown) => {
        log("unexpected error while upgrading a connection", err);
        socket.destroy();
      }),
    );
  });
}

/** How the process guard names a request: method, target (cut short) and the client's address. */
function requestLine(req: Request): string {
  return `${req.method ?? "GET"} ${(req.url ?? "/").slice(0, 300)} from ${connectionOf(req).remoteAddress ?? "?"}`;
}

async function serve(
  handler: ApiHandler,
  log: (message: string, err?: unknown) => void,
  limiter: InFlightLimiter,
  req: Request,
  res: Response,
): Promise<void> {
  const signal = abortOnEarlyClose(res);
  let release: (() => void) | undefined;
  let releaseStream: (() => void) | undefined;
  try {
    const method = (req.method ?? "GET").toUpperCase();
    const url = parseTarget(req.url ?? "/");
    if (method === "HEAD" || method === "OPTIONS") {
      res.writeHead(method === "HEAD" ? 200 : 204);
      res.end();
      return;
    }
    if (!methods.has(method as HttpMethod)) {
      sendStatus(
        res,
        new StatusError(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`),
      );
      return;
    }
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > maxBodyBytes) {
      sendStatus(res, entityTooLarge());
      req.resume();
      return;
    }
    const clientCertificate = clientCertificateOf(connectionOf(req));
    // A seat is taken before the body is read: a slow sender holds one, as in Go, where the handler reads it.
    const client = clientKey(clientCertificate, req.headers.authorization, connectionOf(req).remoteAddress);
    ({ seat: release, stream: releaseStream } = limiter.admit(method, url.path, url.query, clientCertificate, client));
    const answer = async () => {
      const body = method === "GET" ? undefined : await readBody(req);
      const request: ApiRequest = {
        method: method as HttpMethod,
        path: url.path,
        query: url.query,
        headers: headersOf(req),
        body: body && body.byteLength ? body : undefined,
        clientCertificate,
        get signal() {
          return signal();
        },
      };
      return handler(request);
    };
    // Long-running requests (no seat) stream for as long as their own timeoutSeconds says.
    const response = release && limiter.timeoutMs > 0 ? await withTimeout(answer(), limiter.timeoutMs) : await answer();
    await writeResponse(res, response, signal);
  } catch (err) {
    if (err instanceof StatusError && !res.headersSent) return sendStatus(res, err);
    log("unexpected error while writing a response", err);
    if (!res.headersSent)
      sendStatus(
        res,
        new StatusError(500, "InternalError", "Internal error occurred: the response could not be written"),
      );
    else res.destroy();
  } finally {
    release?.();
    releaseStream?.();
  }
}

/** The TLS (or TCP) connection a request came on: HTTP/2's request.socket is a proxy that changes nothing here. */
function connectionOf(req: Request): Socket {
  return "stream" in req ? (req.stream.session?.socket as Socket) : req.socket;
}

/** The handler's answer, or a 504 Timeout once `ms` have passed (the work itself runs on, its answer dropped). */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(requestTimedOut()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The request's AbortSignal, made only when the handler asks for it (watches): creating one per request is a
 * measurable share of a small create. Only a client that leaves early aborts.
 */
function abortOnEarlyClose(res: Response): () => AbortSignal {
  let controller: AbortController | undefined;
  let gone = false;
  res.on("close", () => {
    // ended by us, not left by the client (HTTP/2's response reports itself finished once its stream closes)
    if (res.writableEnded) return;
    gone = true;
    controller?.abort();
  });
  return () => {
    if (!controller) {
      controller = new AbortController();
      if (gone) controller.abort();
    }
    return controller.signal;
  };
}

function headersOf(req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2's pseudo-headers (:method, :path, :authority) are the request line, already read
    if (value !== undefined && !name.startsWith(":")) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

// Headers that belong to one HTTP/1.1 connection; HTTP/2 refuses them (RFC 9113 8.2.2).
const connectionHeaders = ["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"];

/** A body in one piece, or a stream (watch) written chunk by chunk as the client takes it. */
async function writeResponse(res: Response, response: ApiResponse, signal: () => AbortSignal): Promise<void> {
  const outHeaders = { ...response.headers };
  for (const name of connectionHeaders) delete outHeaders[name];
  if (response.body instanceof Uint8Array) {
    outHeaders["content-length"] = String(response.body.byteLength);
    res.writeHead(response.status, outHeaders);
    if ("stream" in res) res.end(response.body);
    else endWithBody(res, response.body);
    return;
  }
  res.writeHead(response.status, outHeaders);
  // Http2ServerResponse has flushHeaders too (node's types leave it out): a watch's headers go before any event
  (res as Pick<ServerResponse, "flushHeaders">).flushHeaders();
  const iterator = response.body[Symbol.asyncIterator]();
  signal().addEventListener("abort", () => void iterator.return?.());
  while (true) {
    const { value, done } = await iterator.next();
    if (done || ("stream" in res ? res.stream.destroyed : res.destroyed)) break;
    if (!(res as Pick<ServerResponse, "write">).write(value)) await drainedOrClosed(res);
  }
  res.end();
}
