// The wire shape of one Kubernetes API request and its answer, independent of node:http.
// The apiserver is a function ApiRequest → ApiResponse; its HTTP listener adapts sockets to it, and the
// in-process client transport calls it directly (no sockets, same bytes, same semantics).

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiRequest {
  method: HttpMethod;
  /** Path without the query, e.g. /api/v1/namespaces/default/persistentvolumeclaims/data */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  body?: Uint8Array;
  /** Aborted when the caller goes away (ends watches). */
  signal?: AbortSignal;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** A whole body, or (for watch) a stream of chunks, each one complete JSON watch event plus "\n". */
  body: Uint8Array | AsyncIterable<Uint8Array>;
}

export type ApiHandler = (request: ApiRequest) => Promise<ApiResponse>;
