// node:http adapted to the ApiHandler: bodies read with the 3 MiB limit, watch streams written chunk by chunk
// (HTTP/1.1 chunked transfer), the request's AbortSignal fired when the client goes away.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiHandler, ApiRequest, HttpMethod } from "../api/http.js";
import { maxBodyBytes } from "./decode.js";
import { entityTooLarge, StatusError } from "./errors.js";

const methods = new Set<HttpMethod>(["GET", "POST", "PUT", "PATCH", "DELETE"]);

async function readBody(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBodyBytes) {
      req.resume();
      throw entityTooLarge();
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendStatus(res: ServerResponse, err: StatusError): void {
  const body = JSON.stringify(err.toStatus());
  res.writeHead(err.code, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

export async function serveHttp(
  handler: ApiHandler,
  address: string,
  log: (message: string, err?: unknown) => void,
): Promise<{ url: string; address: string; close(): Promise<void> }> {
  const colon = address.lastIndexOf(":");
  const host = colon > 0 ? address.slice(0, colon).replace(/^\[|\]$/g, "") : "127.0.0.1";
  const port = Number(colon >= 0 ? address.slice(colon + 1) : address);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid listen address ${JSON.stringify(address)}: want host:port`);

  const server = createServer({ keepAlive: true }, (req, res) => void serve(req, res));
  server.keepAliveTimeout = 65_000;
  server.requestTimeout = 0; // watches are long; the handler enforces timeoutSeconds

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController();
    // only a client that leaves early aborts (an abort() per finished request costs a DOMException each)
    res.on("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      const method = (req.method ?? "GET").toUpperCase();
      const url = new URL(req.url ?? "/", "http://stowage");
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
      const body = method === "GET" ? undefined : await readBody(req);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
      }
      const request: ApiRequest = {
        method: method as HttpMethod,
        path: url.pathname,
        query: url.searchParams,
        headers,
        body: body && body.byteLength ? body : undefined,
        signal: controller.signal,
      };
      const response = await handler(request);
      const outHeaders = { ...response.headers };
      delete outHeaders["transfer-encoding"];
      if (response.body instanceof Uint8Array) {
        outHeaders["content-length"] = String(response.body.byteLength);
        res.writeHead(response.status, outHeaders);
        res.end(response.body);
        return;
      }
      res.writeHead(response.status, outHeaders);
      res.flushHeaders();
      const iterator = response.body[Symbol.asyncIterator]();
      controller.signal.addEventListener("abort", () => void iterator.return?.());
      while (true) {
        const { value, done } = await iterator.next();
        if (done || res.destroyed) break;
        if (!res.write(value)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
      }
      res.end();
    } catch (err) {
      if (err instanceof StatusError && !res.headersSent) return sendStatus(res, err);
      log("unexpected error while writing a response", err);
      if (!res.headersSent)
        sendStatus(
          res,
          new StatusError(500, "InternalError", "Internal error occurred: the response could not be written"),
        );
      else res.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const info = server.address() as AddressInfo;
  const hostText = info.family === "IPv6" ? `[${info.address}]` : info.address;
  const actual = `${hostText}:${info.port}`;
  return {
    url: `http://${actual}`,
    address: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
