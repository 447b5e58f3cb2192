// The in-process transport: calls the apiserver's handler function directly. `stowage up` hands it to every
// component, so no sockets sit between them, yet requests are the same bytes as over HTTP (JSON bodies,
// Status errors, resourceVersion conflicts) because the same handler answers both.
import type { ApiHandler, ApiRequest, ApiResponse } from "../api/http.js";
import type { UserInfo } from "../api/user.js";
import { encodeJson } from "./wire.js";
import type { Transport } from "./transport.js";

/**
 * `user`: who this component is. In-process there is no certificate to present, so `cli`, which made the handler,
 * vouches for the identity; the apiserver authorizes its requests as that user (when security is on).
 */
export function inProcessTransport(handler: ApiHandler, user?: UserInfo): Transport {
  return async (request: ApiRequest): Promise<ApiResponse> => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    if (request.body) headers["content-length"] ??= String(request.body.byteLength);
    try {
      // A fresh URLSearchParams: the server may read it while the caller reuses its own.
      return await handler({
        ...request,
        headers,
        query: new URLSearchParams(request.query),
        ...(user ? { user } : {}),
      });
    } catch (err) {
      if (request.signal?.aborted) throw err;
      // Over HTTP a crashing handler is a 500 InternalError; keep that meaning here instead of a raw throw.
      const message = err instanceof Error ? err.message : String(err);
      return {
        status: 500,
        headers: { "content-type": "application/json" },
        body: encodeJson({
          apiVersion: "v1",
          kind: "Status",
          metadata: {},
          status: "Failure",
          message: `Internal error occurred: ${message}`,
          reason: "InternalError",
          code: 500,
        }),
      };
    }
  };
}
