// GET pods/{name}/log (pkg/registry/core/pod/rest/log.go): PodLogOptions decoded and validated as upstream, the
// container named (or the only one), then the node's kubelet GET /containerLogs/… streamed through unchanged —
// with follow, for as long as the kubelet sends. A kubelet's refusal becomes a Status the way upstream's
// GenericHttpResponseChecker makes one: 400 → BadRequest with the kubelet's text, 500 → InternalError.
import type { IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Node, Pod } from "../api/core/types.js";
import type { ApiRequest, ApiResponse } from "../api/http.js";
import { forbidden, invalid as invalidField, type FieldError } from "../api/field.js";
import { badRequest, internalError, invalid, StatusError } from "./errors.js";
import {
  dialError,
  hostPort,
  kubeletLocation,
  kubeletTlsOptions,
  podContainer,
  type KubeletClientTls,
  type KubeletLocation,
} from "./kubelet.js";
import { parseGoBool } from "./query.js";

export interface PodStreamContext {
  /** The pod, or a NotFound StatusError. */
  getPod(namespace: string, name: string): Promise<Pod>;
  /** The node, or a NotFound StatusError. */
  getNode(name: string): Promise<Node>;
  /** Who the apiserver is to kubelets, and the CA their serving certificates chain to. */
  kubeletClient: KubeletClientTls;
}

export interface PodLogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  sinceSeconds?: number;
  /** As given (RFC 3339); passed to the kubelet at second precision, as upstream formats it. */
  sinceTime?: string;
  tailLines?: number;
  limitBytes?: number;
}

// The parameter codec's decoding: Go bools (query.ts) and int64s, RFC 3339 times.
function parseInt64(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  if (!/^[+-]?\d+$/.test(text)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`);
  return Number(text);
}

/** The query as PodLogOptions, validated as ValidatePodLogOptions (a 422 on PodLogOptions "<pod>"). */
export function parsePodLogOptions(query: URLSearchParams, podName: string): PodLogOptions {
  const sinceTime = query.get("sinceTime") || undefined;
  if (
    sinceTime !== undefined &&
    (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(sinceTime) || isNaN(Date.parse(sinceTime)))
  )
    throw badRequest(`parsing time ${JSON.stringify(sinceTime)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  const options: PodLogOptions = {
    container: query.get("container") ?? "",
    follow: parseGoBool(query, "follow"),
    previous: parseGoBool(query, "previous"),
    timestamps: parseGoBool(query, "timestamps"),
    sinceSeconds: parseInt64(query, "sinceSeconds"),
    sinceTime,
    tailLines: parseInt64(query, "tailLines"),
    limitBytes: parseInt64(query, "limitBytes"),
  };
  // Accepted and not honoured: the kubelet's serving certificate is always checked (upstream lets a user with
  // pods/log skip the check for one request; an unchecked kubelet would get the apiserver's client certificate).
  parseGoBool(query, "insecureSkipTLSVerifyBackend");
  const errors: FieldError[] = [];
  if (options.tailLines !== undefined && options.tailLines < 0)
    errors.push(invalidField("tailLines", options.tailLines, "must be greater than or equal to 0"));
  if (options.limitBytes !== undefined && options.limitBytes < 1)
    errors.push(invalidField("limitBytes", options.limitBytes, "must be greater than 0"));
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined)
    errors.push(forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
  else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1)
    errors.push(invalidField("sinceSeconds", options.sinceSeconds, "must be greater than 0"));
  if (errors.length > 0) throw invalid("", "PodLogOptions", podName, errors);
  return options;
}

/** LogLocation's query for the kubelet. */
function kubeletLogQuery(options: PodLogOptions): string {
  const params = new URLSearchParams();
  if (options.follow) params.set("follow", "true");
  if (options.previous) params.set("previous", "true");
  if (options.timestamps) params.set("timestamps", "true");
  if (options.sinceSeconds !== undefined) params.set("sinceSeconds", String(options.sinceSeconds));
  if (options.sinceTime !== undefined)
    params.set("sinceTime", new Date(options.sinceTime).toISOString().replace(/\.\d+Z$/, "Z"));
  if (options.tailLines !== undefined) params.set("tailLines", String(options.tailLines));
  if (options.limitBytes !== undefined) params.set("limitBytes", String(options.limitBytes));
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Reads at most `limit` bytes of an error body (GenericHttpResponseChecker's maxReadLength). */
async function readErrorBody(response: IncomingMessage, limit = 50_000): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= limit) break;
  }
  response.destroy();
  return Buffer.concat(chunks).subarray(0, limit).toString();
}

/** GenericHttpResponseChecker: a kubelet error status as the Status upstream answers with. */
function kubeletError(code: number, body: string, podName: string): StatusError {
  if (code === 400) return badRequest(body);
  if (code === 500) return internalError(body);
  if (code === 404)
    return new StatusError(404, "NotFound", body || "the server could not find the requested resource", {
      name: podName,
      kind: "pods",
      causes: [{ reason: "UnexpectedServerResponse", message: body }],
    });
  // NewGenericServerResponse for pods/log: a kubelet that refuses the apiserver's certificate (401) or its
  // identity (403) is named in the words users search for, e.g. "Forbidden (user=…, verb=get, resource=nodes,
  // subresource=proxy) ( pods/log web)".
  const causes = [{ reason: "UnexpectedServerResponse", message: body }];
  if (code === 401)
    return new StatusError(
      401,
      "Unauthorized",
      `the server has asked for the client to provide credentials ( pods/log ${podName})`,
      {
        name: podName,
        kind: "pods/log",
        causes,
      },
    );
  if (code === 403)
    return new StatusError(403, "Forbidden", `${body} ( pods/log ${podName})`, {
      name: podName,
      kind: "pods/log",
      causes,
    });
  return new StatusError(code, "InternalError", body, { name: podName, kind: "pods" });
}

function getFromKubelet(
  client: KubeletClientTls,
  location: KubeletLocation,
  path: string,
  signal?: AbortSignal,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const tls = kubeletTlsOptions(client, location);
    // agent: false — a connection per stream, so no pool keeps one to a kubelet after the log has been read.
    const req = httpsRequest({ ...tls, path, method: "GET", signal, agent: false }, resolve);
    // LocationStreamer's error as it comes from Go's http client: `Get "<url>": dial tcp …`.
    req.once("error", (err) => reject(dialError(location, err, `Get "https://${hostPort(location)}${path}": `)));
    req.end();
  });
}

export async function podLog(
  request: ApiRequest,
  namespace: string,
  name: string,
  ctx: PodStreamContext,
): Promise<ApiResponse> {
  if (request.method !== "GET")
    throw new StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
  const options = parsePodLogOptions(request.query, name);
  const pod = await ctx.getPod(namespace, name);
  const container = podContainer(pod, options.container);
  const plain = { "content-type": "text/plain" };
  // A pod not yet scheduled has no logs anywhere: upstream answers an empty stream.
  if (!pod.spec.nodeName) return { status: 200, headers: plain, body: new Uint8Array() };
  const location = kubeletLocation(await ctx.getNode(pod.spec.nodeName));
  const path =
    `/containerLogs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/${encodeURIComponent(container)}` +
    kubeletLogQuery(options);
  const response = await getFromKubelet(ctx.kubeletClient, location, path, request.signal);
  const code = response.statusCode ?? 500;
  if (code < 200 || code > 206) throw kubeletError(code, await readErrorBody(response), name);
  return { status: 200, headers: plain, body: response as AsyncIterable<Uint8Array> };
}
