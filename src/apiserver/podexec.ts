// pods/{name}/exec (pkg/registry/core/pod/rest/subresources.go ExecREST): an upgrade request (websocket, or SPDY
// from a client falling back) is checked as ExecLocation checks it — the pod, its container, its node — then
// proxied byte for byte to the node's kubelet /exec/… as upstream's UpgradeAwareHandler does: the kubelet answers
// the handshake (101 with the negotiated v5/v4.channel.k8s.io, or its error), and from then on the two sockets are
// spliced. Errors found here are Status objects; the kubelet's own are its plain text, as upstream.
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { connect } from "node:tls";
import type { Status } from "../api/meta.js";
import { badRequest, StatusError, toStatusError } from "./errors.js";
import { dialError, kubeletLocation, kubeletTlsOptions, podContainer } from "./kubelet.js";
import type { PodStreamContext } from "./podlog.js";
import { parseGoBool } from "./query.js";
import { parseResourcePath } from "./route.js";

export interface PodExecOptions {
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export function parsePodExecOptions(query: URLSearchParams): PodExecOptions {
  return {
    container: query.get("container") ?? "",
    command: query.getAll("command"),
    stdin: parseGoBool(query, "stdin"),
    stdout: parseGoBool(query, "stdout"),
    stderr: parseGoBool(query, "stderr"),
    tty: parseGoBool(query, "tty"),
  };
}

/** streamParams: the kubelet's names for the streams, "1" for true. */
function kubeletExecQuery(options: PodExecOptions): string {
  const params = new URLSearchParams();
  if (options.stdin) params.append("input", "1");
  if (options.stdout) params.append("output", "1");
  if (options.stderr) params.append("error", "1");
  if (options.tty) params.append("tty", "1");
  for (const word of options.command) params.append("command", word);
  return params.toString();
}

const reasons: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
};

/** Answers an upgrade request with a Status instead of 101, and closes the connection. */
function refuse(socket: Socket, err: StatusError): void {
  const status: Status = err.toStatus();
  const body = Buffer.from(JSON.stringify(status));
  socket.end(
    `HTTP/1.1 ${err.code} ${reasons[err.code] ?? "Error"}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.toString()}`,
  );
}

/** The request headers the kubelet needs to answer the handshake itself; the caller's credentials stay here. */
const forwardedHeaders = [
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "x-stream-protocol-version",
  "user-agent",
  "content-length",
];

/**
 * Handles one upgrade request to the apiserver. Only pods/exec is served: attach and portforward are not built
 * and say so; anything else is not an upgradeable resource.
 */
export async function handleUpgrade(
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
  ctx: PodStreamContext,
  log: (message: string, err?: unknown) => void,
): Promise<void> {
  socket.on("error", () => undefined);
  try {
    const url = new URL(req.url ?? "/", "http://apiserver");
    const route = parseResourcePath(url.pathname);
    const isPodSubresource = route?.group === "" && route.plural === "pods" && route.name && route.namespace;
    if (!route || !isPodSubresource || !route.subresource)
      throw new StatusError(404, "NotFound", "the server could not find the requested resource");
    if (route.subresource === "attach" || route.subresource === "portforward")
      throw badRequest(`pods/${route.subresource} is not supported by stowage: only pods/exec is built`);
    if (route.subresource !== "exec")
      throw new StatusError(404, "NotFound", "the server could not find the requested resource");
    const namespace = route.namespace ?? "";
    const name = route.name ?? "";
    const options = parsePodExecOptions(url.searchParams);
    const pod = await ctx.getPod(namespace, name);
    const container = podContainer(pod, options.container);
    if (!pod.spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`);
    const location = kubeletLocation(await ctx.getNode(pod.spec.nodeName));
    const path =
      `/exec/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}?` +
      kubeletExecQuery(options);

    // TLS to the kubelet with the apiserver's client certificate; the splice below carries the decrypted bytes.
    const backend = connect(kubeletTlsOptions(ctx.kubeletClient, location));
    await new Promise<void>((resolve, reject) => {
      backend.once("secureConnect", resolve);
      backend.once("error", (err) => reject(dialError(location, err, "error dialing backend: ")));
    });
    backend.on("error", () => socket.destroy());
    const lines = [`${req.method ?? "GET"} ${path} HTTP/1.1`, `Host: ${location.host}:${location.port}`];
    for (const header of forwardedHeaders) {
      const value = req.headers[header];
      if (value !== undefined) lines.push(`${header}: ${Array.isArray(value) ? value.join(", ") : value}`);
    }
    backend.write(`${lines.join("\r\n")}\r\n\r\n`);
    if (head.length > 0) backend.write(head);
    // From here on the kubelet speaks to the client directly: its handshake answer, then the channel frames.
    // pipe() ends each side after the other's end, so the kubelet's last bytes (its refusal, the close frame)
    // are flushed to the client before the connection closes; a reset on either side tears down both.
    socket.pipe(backend);
    backend.pipe(socket);
    socket.once("close", () => backend.destroy());
  } catch (err) {
    refuse(socket, toStatusError(err, log));
  }
}
