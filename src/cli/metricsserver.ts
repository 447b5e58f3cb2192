// The CSI sidecars' diagnostics server (csi-lib-utils' --http-endpoint and --metrics-path): plain HTTP, metrics only,
// off unless asked for. `up` needs none: its sidecars' metrics are on the apiserver's /metrics.
import { createServer } from "node:http";
import { register } from "prom-client";
import { listenOn } from "../support/listen.js";

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** Serves GET `path` on `endpoint` ("host:port"; ":8080", as upstream writes it, is every interface). */
export async function serveMetrics(endpoint: string, path: string): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || new URL(req.url ?? "/", "http://sidecar").pathname !== path) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404 page not found\n");
      return;
    }
    register.metrics().then(
      (text) => res.writeHead(200, { "content-type": register.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  const { address } = await listenOn(server, endpoint.startsWith(":") ? `0.0.0.0${endpoint}` : endpoint);
  return {
    url: `http://${address}${path}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
