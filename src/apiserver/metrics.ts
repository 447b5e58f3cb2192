// The apiserver's request metrics as kube-apiserver names them (apiserver/pkg/endpoints/metrics): a counter and a
// latency histogram per verb, resource and scope, and GET /metrics, which serves every metric this process
// registered (on `stowage up` that is every component's: they share the process and its registry).
import { Counter, Histogram, register } from "prom-client";
import type { ApiRequest, ApiResponse } from "../api/http.js";
import { parseResourcePath } from "./route.js";

const labelNames = ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"] as const;

const requests = new Counter({
  name: "apiserver_request_total",
  help: "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
  labelNames: [...labelNames, "code"],
});

const durations = new Histogram({
  name: "apiserver_request_duration_seconds",
  help: "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
  labelNames,
  // upstream's buckets
  buckets: [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60],
});

/** upstream's reported verb: the method, LIST and WATCH for collection reads, APPLY for server-side apply. */
function reportedVerb(request: ApiRequest, named: boolean, watchPath: boolean): string {
  const watch = watchPath || ["true", "1"].includes(request.query.get("watch") ?? "");
  switch (request.method) {
    case "GET":
      if (watch) return "WATCH";
      return named ? "GET" : "LIST";
    case "PATCH":
      return request.headers["content-type"]?.startsWith("application/apply-patch") ? "APPLY" : "PATCH";
    default:
      return request.method;
  }
}

/** Counts a resource request once it is answered (non-resource paths are not resources: not counted, as upstream). */
function recordRequest(request: ApiRequest, status: number, startedAt: number): void {
  const route = parseResourcePath(request.path);
  if (!route) return;
  const named = route.name !== undefined;
  const labels = {
    verb: reportedVerb(request, named, route.watchPath),
    // cleanDryRun: the dryRun values, sorted and joined ("All"), or empty
    dry_run: request.query.getAll("dryRun").sort().join(","),
    group: route.group,
    version: route.version,
    resource: route.plural,
    subresource: route.subresource ?? "",
    scope: named ? "resource" : route.namespace !== undefined ? "namespace" : "cluster",
    component: "apiserver",
  };
  requests.inc({ ...labels, code: String(status) });
  durations.observe(labels, (performance.now() - startedAt) / 1000);
}

/**
 * Counts the request once its response is over: at once for a whole body, when the stream ends for a watch (as
 * upstream, whose WATCH latencies are the watches' lengths). The stream is forwarded call for call, so a return()
 * from a client that went away reaches the watch at once.
 */
export function recordWhenAnswered(request: ApiRequest, response: ApiResponse, startedAt: number): ApiResponse {
  if (response.body instanceof Uint8Array) {
    recordRequest(request, response.status, startedAt);
    return response;
  }
  const body = response.body;
  let recorded = false;
  const record = () => {
    if (recorded) return;
    recorded = true;
    recordRequest(request, response.status, startedAt);
  };
  const stream: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]() {
      const inner = body[Symbol.asyncIterator]();
      return {
        async next() {
          const result = await inner.next();
          if (result.done) record();
          return result;
        },
        async return(value?: unknown) {
          record();
          return inner.return ? inner.return(value) : { done: true, value: undefined };
        },
      };
    },
  };
  return { ...response, body: stream };
}

/** GET /metrics: the Prometheus text format of everything registered in this process. */
export async function metricsResponse(): Promise<ApiResponse> {
  return {
    status: 200,
    headers: { "content-type": register.contentType },
    body: new TextEncoder().encode(await register.metrics()),
  };
}
