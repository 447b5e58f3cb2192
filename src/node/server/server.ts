// The kubelet's API (pkg/kubelet/server), the part the apiserver proxies to: GET /containerLogs/{namespace}/{pod}/
// {container} for `kubectl logs` and /exec/{namespace}/{pod}[/{uid}]/{container} upgraded to a websocket for
// `kubectl exec`. One HTTPS server per node agent, on the address it is given (the Node's InternalIP by default);
// its port is published in the Node's status.daemonEndpoints.kubeletEndpoint.Port. Every request, before
// anything else, must come with the apiserver's kubelet client certificate (auth.ts): reaching the port is not
// enough to read a container's logs or run a command in it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type ServerOptions } from "node:https";
import { metricsRefusal, metricsText, type AuthorizeNodeMetrics } from "./metrics.js";
export { mayGetNodeMetrics } from "./metricsreview.js";
import type { Socket } from "node:net";
import { WebSocketServer } from "ws";
import type { Pod } from "../../api/core/types.js";
import { duringRequest } from "../../support/guard.js";
import { drainedOrClosed, listenOn } from "../../support/listen.js";
import { containerLogPath, type ContainerRuntime } from "../runtime/runtime.js";
import { refusal, requireKubeletTls, type KubeletServingTls } from "./auth.js";
import { channelProtocols, parseExecQuery, runExec, type ChannelProtocol } from "./exec.js";
import { KubeletRequestError, logRestartCount, parseLogQuery, readContainerLog } from "./logs.js";

export interface KubeletServerOptions {
  /** "host:port" to listen on (only there); port 0 picks a free one. */
  address: string;
  /** HTTPS: the serving certificate and the CA of the apiserver's client certificate. Required. */
  tls: KubeletServingTls;
  /** The kubelet's --root-dir (container logs live under logs/pods/). */
  rootDir: string;
  /** A pod bound to this node, as the agent knows it (its informer). */
  getPod(namespace: string, name: string): Pod | undefined;
  /**
   * The container runtime (which process a running container is, as which user), asked per request: the agent
   * may create it after this server. Without one (runtime none) nothing runs.
   */
  runtime(): ContainerRuntime | undefined;
  log(message: string, err?: unknown): void;
  /** When the agent's sync loop last ran (ms since the epoch), for /healthz's syncloop check. */
  lastSyncLoop?(): number;
  /** Whether a caller other than the apiserver may read /metrics (SubjectAccessReview on nodes/metrics). */
  authorizeMetrics?: AuthorizeNodeMetrics;
}

export interface KubeletServer {
  /** The port actually bound, for daemonEndpoints.kubeletEndpoint.Port. */
  port: number;
  /** https://host:port */
  url: string;
  close(): Promise<void>;
}

interface Route {
  kind: "containerLogs" | "exec";
  namespace: string;
  pod: string;
  uid?: string;
  container: string;
}

/** A request target as Go's net/http reads one: a malformed URL or %-escape is a 400 before any handler runs. */
function parseTarget(target: string | undefined): URL {
  try {
    const url = new URL(target ?? "/", "https://kubelet");
    for (const segment of url.pathname.split("/")) decodeURIComponent(segment);
    return url;
  } catch {
    throw new KubeletRequestError(400, `400 Bad Request: invalid URL ${JSON.stringify((target ?? "").slice(0, 200))}`);
  }
}

function parseRoute(path: string): Route | undefined {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "containerLogs" && parts.length === 4)
    return { kind: "containerLogs", namespace: parts[1], pod: parts[2], container: parts[3] };
  if (parts[0] === "exec" && parts.length === 4)
    return { kind: "exec", namespace: parts[1], pod: parts[2], container: parts[3] };
  if (parts[0] === "exec" && parts.length === 5)
    return { kind: "exec", namespace: parts[1], pod: parts[2], uid: parts[3], container: parts[4] };
  return undefined;
}

const podContainers = (pod: Pod) => [...(pod.spec.initContainers ?? []), ...pod.spec.containers];

/** The sync loop is unhealthy when it has not run for this long (it runs every second). */
const syncLoopStaleMs = 30_000;

/**
 * /healthz as the kubelet serves it (healthz.InstallHandler with ping, log, syncloop): "ok"; with ?verbose one
 * "[+]name ok" line per check; a failing check makes it a 500 listing them all; /healthz/<check> runs one.
 */
function healthz(url: URL, lastSyncLoop: (() => number) | undefined, send: (code: number, body: string) => void) {
  const checks: Array<[string, () => string | undefined]> = [
    ["ping", () => undefined],
    ["log", () => undefined],
    [
      "syncloop",
      () => {
        const since = lastSyncLoop ? Date.now() - lastSyncLoop() : 0;
        return since > syncLoopStaleMs ? `sync Loop took longer than expected (last ${since} ms ago)` : undefined;
      },
    ],
  ];
  const one = url.pathname.slice("/healthz/".length);
  if (url.pathname !== "/healthz") {
    const check = checks.find(([name]) => name === one);
    if (!check) return send(404, "404 page not found\n");
    const failed = check[1]();
    return failed ? send(500, `internal server error: ${failed}\n`) : send(200, "ok");
  }
  const results = checks.map(([name, check]) => ({ name, failed: check() }));
  const lines = results
    .map((r) => (r.failed ? `[-]${r.name} failed: reason withheld\n` : `[+]${r.name} ok\n`))
    .join("");
  if (results.some((r) => r.failed)) return send(500, `${lines}healthz check failed\n`);
  return send(200, url.searchParams.has("verbose") ? `${lines}healthz check passed\n` : "ok");
}

/** How the process guard names a request. */
function requestLine(req: IncomingMessage): string {
  return `kubelet ${req.method ?? "GET"} ${(req.url ?? "/").slice(0, 300)} from ${req.socket.remoteAddress ?? "?"}`;
}

function isWebSocketRequest(req: IncomingMessage): boolean {
  return (
    (req.headers.upgrade ?? "").toLowerCase() === "websocket" &&
    /(^|,)\s*upgrade\s*($|,)/i.test(req.headers.connection ?? "")
  );
}

/** A plain-text error response on a socket that was about to be upgraded (what the kubelet answers before 101). */
function refuseUpgrade(socket: Socket, code: number, message: string): void {
  const body = Buffer.from(message);
  const reason =
    { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error" }[
      code
    ] ?? "Error";
  socket.end(
    `HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
      `Connection: close\r\n\r\n${body.toString()}`,
  );
}

/** GET containerLogs: the container's log file from the requested run, streamed while it runs when following. */
async function serveLogs(
  options: KubeletServerOptions,
  stopping: AbortSignal,
  route: Route,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const logOptions = parseLogQuery(query);
  const pod = options.getPod(route.namespace, route.pod);
  if (!pod) throw new KubeletRequestError(404, `pod "${route.pod}" does not exist`);
  if (!podContainers(pod).some((c) => c.name === route.container))
    throw new KubeletRequestError(404, `container "${route.container}" not found in pod "${route.pod}"`);
  const restartCount = logRestartCount(pod, route.container, logOptions.previous);
  const uid = pod.metadata.uid ?? "";
  const path = containerLogPath(
    options.rootDir,
    { namespace: route.namespace, name: route.pod, uid },
    route.container,
    restartCount,
  );
  // Follow ends when this run of the container ends: its process goes (or, without a runtime, its status says
  // it no longer runs, or the pod is gone).
  const runtime = options.runtime();
  const pid = runtime?.containerPid(uid, route.container);
  const isRunning = () => {
    if (logOptions.previous) return false;
    const current = options.getPod(route.namespace, route.pod);
    if (!current || current.metadata.uid !== uid) return false;
    if (runtime && runtime.name !== "none")
      return pid !== undefined && runtime.containerPid(uid, route.container) === pid;
    const status = current.status?.containerStatuses?.find((c) => c.name === route.container);
    return status?.state?.running !== undefined && status.restartCount === restartCount;
  };
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  const signal = AbortSignal.any([gone.signal, stopping]);
  res.writeHead(200, { "content-type": "text/plain", "transfer-encoding": "chunked" });
  res.flushHeaders();
  for await (const chunk of readContainerLog(path, logOptions, isRunning, signal)) {
    if (res.destroyed) break;
    if (!res.write(chunk)) await drainedOrClosed(res);
  }
  res.end();
}

function httpsOptions(tls: KubeletServingTls): ServerOptions {
  return {
    cert: tls.cert,
    key: tls.key,
    ca: tls.clientCA,
    minVersion: "TLSv1.2",
    // Ask every client for a certificate but let the handshake finish without one: the refusal is then the
    // kubelet's HTTP 401/403 (auth.ts), which the apiserver and curl can show, not a torn-down handshake.
    requestCert: true,
    rejectUnauthorized: false,
  };
}

/** An exec request: checked, then handed to the websocket server. Refusals are thrown KubeletRequestErrors. */
function acceptExec(
  options: KubeletServerOptions,
  wss: WebSocketServer,
  sessions: Set<Promise<void>>,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): void {
  const { log } = options;
  const refused = refusal(req);
  if (refused) return refuseUpgrade(socket, refused.code, refused.message);
  const url = parseTarget(req.url);
  const route = parseRoute(url.pathname);
  if (!route || route.kind !== "exec") return refuseUpgrade(socket, 404, "404 page not found");
  const execOptions = parseExecQuery(url.searchParams);
  const pod = options.getPod(route.namespace, route.pod);
  if (!pod || (route.uid && pod.metadata.uid !== route.uid)) return refuseUpgrade(socket, 404, "pod does not exist");
  // The kubelet's findContainer: only a running container can be entered (runtime none runs nothing).
  const runtime = options.runtime();
  const pid = runtime?.containerPid(pod.metadata.uid ?? "", route.container);
  if (pid === undefined) return refuseUpgrade(socket, 500, `container not found ("${route.container}")`);
  if (!isWebSocketRequest(req)) {
    // kubectl falls back to SPDY/3.1 only when the websocket upgrade failed; this server speaks websockets only.
    // (No ": " in the text: client-go tries to decode an error body as a Status, and YAML would take it.)
    return refuseUpgrade(
      socket,
      400,
      `streaming protocol ${req.headers.upgrade ?? ""} is not supported, use websockets (${channelProtocols.join(", ")})`,
    );
  }
  const offered = (req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
  const protocol = channelProtocols.find((p) => offered.includes(p));
  if (!protocol)
    return refuseUpgrade(
      socket,
      400,
      `requested protocol(s) are not supported: [${offered.join(" ")}]; supports [${channelProtocols.join(" ")}]`,
    );
  wss.handleUpgrade(req, socket, head, (ws) => {
    // A frame that breaks the protocol (unmasked, oversized, bad UTF-8 in a text frame) is ws's error event;
    // ws then closes the connection with 1002/1007/1009 itself, and the session ends on that close.
    ws.on("error", (err) => log("exec session: the client broke the websocket protocol", err.message));
    // As the container's own user and groups: never root in a container that does not run as root.
    const target = { pid, user: runtime?.containerUser(pod.metadata.uid ?? "", route.container) };
    const session = runExec(ws, protocol as ChannelProtocol, target, execOptions, log)
      .catch((err: unknown) => log("exec session failed", err))
      .finally(() => sessions.delete(session));
    sessions.add(session);
  });
}

export async function startKubeletServer(options: KubeletServerOptions): Promise<KubeletServer> {
  const { log } = options;
  const sessions = new Set<Promise<void>>();
  const abort = new AbortController();

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const send = (code: number, body: string) => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(code, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    };
    try {
      if (req.method === "GET" && parseTarget(req.url).pathname === "/metrics") {
        const refusedMetrics = await metricsRefusal(req, options.authorizeMetrics);
        if (refusedMetrics) return send(refusedMetrics.code, refusedMetrics.message);
        const { contentType, text } = await metricsText();
        return void res.writeHead(200, { "content-type": contentType }).end(text);
      }
      // Authentication before routing, as upstream's filter runs first: a stranger learns nothing, not even a 404.
      const refused = refusal(req);
      if (refused) return send(refused.code, refused.message);
      const url = parseTarget(req.url);
      const route = parseRoute(url.pathname);
      if (url.pathname === "/healthz" || url.pathname.startsWith("/healthz/"))
        return healthz(url, options.lastSyncLoop, send);
      if (!route) return send(404, "404 page not found");
      if (route.kind === "exec") return send(400, "Upgrade request required");
      if (req.method !== "GET") return send(405, "405: Method Not Allowed");
      await serveLogs(options, abort.signal, route, res, url.searchParams);
    } catch (err) {
      if (err instanceof KubeletRequestError) return send(err.code, err.message);
      log("serving a kubelet request failed", err);
      send(500, err instanceof Error ? err.message : String(err));
    }
  };
  const server = createServer(httpsOptions(requireKubeletTls(options.tls)), (req, res) => {
    void duringRequest(requestLine(req), () => serve(req, res));
  });

  const wss = new WebSocketServer({
    noServer: true,
    // The handshake below only proceeds when one of ours was offered, so this always finds one.
    handleProtocols: (offered) => channelProtocols.find((p) => offered.has(p)) ?? false,
  });

  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on("error", () => undefined);
    duringRequest(requestLine(req), () => {
      try {
        acceptExec(options, wss, sessions, req, socket, head);
      } catch (err) {
        if (err instanceof KubeletRequestError) return refuseUpgrade(socket, err.code, err.message);
        log("upgrading a kubelet request failed", err);
        refuseUpgrade(socket, 500, err instanceof Error ? err.message : String(err));
      }
    });
  });

  const bound = await listenOn(server, options.address);
  return {
    port: bound.port,
    url: `https://${bound.address}`,
    async close() {
      abort.abort();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.allSettled([...sessions]);
    },
  };
}
