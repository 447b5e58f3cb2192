// Several apiservers behind one transport, as k3s's agent balances them client-side: requests go to the server
// that answered last; one that cannot be reached is skipped for the next. A request is sent again elsewhere only
// when it certainly did not reach the first server (it could not connect), or when it is a read, which is always
// safe to repeat. A watch broken by its server's death ends, and the informer resumes it from its resourceVersion
// through the next server (all of them share one etcd, so the resourceVersion is valid on each).
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { Transport } from "./transport.js";

type ServerTransport = Transport & { readonly server: string; close(): void };

/** Never connected: the request did not arrive, whatever its verb. */
const unreachable = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EADDRNOTAVAIL"]);
/** Connected, then lost: a read may be sent again, a write might have been applied. */
const lost = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

function sendElsewhere(err: unknown, request: ApiRequest): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === undefined) return false;
  if (unreachable.has(code)) return true;
  return lost.has(code) && request.method === "GET";
}

export function failoverTransport<T extends ServerTransport>(servers: T[]): ServerTransport {
  if (servers.length === 0) throw new Error("no servers to fail over between");
  let current = 0;
  const transport = async (request: ApiRequest): Promise<ApiResponse> => {
    const first = current;
    let lastError: unknown;
    for (let attempt = 0; attempt < servers.length; attempt++) {
      const index = (first + attempt) % servers.length;
      try {
        const response = await servers[index](request);
        current = index; // stay with a server that answers
        return response;
      } catch (err) {
        if (request.signal?.aborted || !sendElsewhere(err, request)) throw err;
        lastError = err;
      }
    }
    throw lastError;
  };
  return Object.defineProperties(transport, {
    server: { get: () => servers[current].server, enumerable: true },
    close: { value: () => servers.forEach((s) => s.close()) },
  }) as ServerTransport;
}
