// How the API benches talk to a server over HTTP: HTTP/1.1 with or without TLS (keep-alive, as client-node and our
// client), or HTTP/2 over TLS (one connection, many streams, as kubectl and client-go).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { connect as http2Connect, type ClientHttp2Session } from "node:http2";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

/** How the bench talks to the server: one request with its whole answer, or a stream of a watch's bytes. */
export interface Client {
  send(method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; text: string }>;
  stream(path: string): Promise<{ body: Readable; stop(): void }>;
  close(): void;
}

export type Tls = { ca: string; cert: string; key: string };

export function http1Client(url: string, tls: Tls | undefined): Client {
  const agent = tls
    ? new HttpsAgent({ keepAlive: true, maxSockets: 128, ...tls })
    : new HttpAgent({ keepAlive: true, maxSockets: 128 });
  const request = tls ? httpsRequest : httpRequest;
  const call = (method: string, path: string, body: string | undefined, contentType: string, keep: boolean) =>
    new Promise<IncomingMessage & { stop(): void }>((resolve, reject) => {
      const headers = body ? { "content-type": contentType, "content-length": Buffer.byteLength(body) } : {};
      const req = request(`${url}${path}`, { method, agent: keep ? agent : false, headers, ...tls }, (res) =>
        resolve(Object.assign(res, { stop: () => req.destroy() })),
      );
      req.on("error", reject);
      req.end(body);
    });
  return {
    async send(method, path, body, contentType = "application/json") {
      const res = await call(method, path, body, contentType, true);
      return { status: res.statusCode ?? 0, text: await text(res) };
    },
    async stream(path) {
      const res = await call("GET", path, undefined, "", false);
      return { body: res, stop: res.stop };
    },
    close: () => agent.destroy(),
  };
}

export function http2Client(url: string, tls: Tls): Client {
  // client-go's window sizes: a large list is not held up by flow control
  const session: ClientHttp2Session = http2Connect(url, { ...tls, settings: { initialWindowSize: 4 << 20 } });
  session.on("error", () => {});
  const call = (method: string, path: string, body?: string, contentType = "application/json") => {
    const stream = session.request({
      ":method": method,
      ":path": path,
      ...(body ? { "content-type": contentType } : {}),
    });
    stream.end(body);
    return new Promise<{ status: number; stream: typeof stream }>((resolve, reject) => {
      stream.once("response", (headers) => resolve({ status: Number(headers[":status"]), stream }));
      stream.once("error", reject);
    });
  };
  return {
    async send(method, path, body, contentType) {
      const { status, stream } = await call(method, path, body, contentType);
      return { status, text: await text(stream) };
    },
    async stream(path) {
      const { stream } = await call("GET", path);
      return { body: stream, stop: () => stream.close() };
    },
    close: () => session.close(),
  };
}

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}
