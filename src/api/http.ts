// The wire shape of one Kubernetes API request and its answer, independent of node:http.
// The apiserver is a function ApiRequest → ApiResponse; its HTTP listener adapts sockets to it, and the
// in-process client transport calls it directly (no sockets, same bytes, same semantics).

import type { UserInfo } from "./user.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The client certificate a TLS connection presented, and whether it verified against the client CA. */
export interface ClientCertificate {
  verified: boolean;
  commonName: string;
  organizations: string[];
}

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
  /** Set by the HTTPS listener from the connection, never from headers. */
  clientCertificate?: ClientCertificate;
  /**
   * The caller's identity when it needs no credentials: an in-process component whose client was made by `cli`
   * with that identity. The HTTP listener never sets it.
   */
  user?: UserInfo;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** A whole body, or (for watch) a stream of chunks, each one complete JSON watch event plus "\n". */
  body: Uint8Array | AsyncIterable<Uint8Array>;
}

export type ApiHandler = (request: ApiRequest) => Promise<ApiResponse>;
