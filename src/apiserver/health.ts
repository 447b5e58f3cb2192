// /healthz, /livez and /readyz as kube-apiserver serves them (k8s.io/apiserver/pkg/server/healthz): each runs
// its named checks; all passing is "ok" (with ?verbose, one "[+]name ok" line per check and "<endpoint> check
// passed"); any failing is a 500 listing every check, the failed ones as "[-]name failed: reason withheld"
// (the endpoint is public; the reason goes to the log). ?exclude=name skips a check; /<endpoint>/<name> runs one.
// "etcd" is the store's check under upstream's name, so tools that read it keep working on SQLite: it fails when
// the store cannot take a write now (its writer thread died, the database cannot be locked).
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { Store } from "../store/store.js";

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects with why not. */
  check(): Promise<void>;
}

/** upstream's --etcd-healthcheck-timeout (2 s): a store that does not answer in time is failing. */
const storeCheckTimeoutMs = 2_000;

function storeCheck(name: string, store: Store): HealthCheck {
  return {
    name,
    check: () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the store did not answer within ${storeCheckTimeoutMs} ms`)),
          storeCheckTimeoutMs,
        );
      });
      return Promise.race([store.checkWritable(), timeout]).finally(() => clearTimeout(timer));
    },
  };
}

const always = (name: string): HealthCheck => ({ name, check: async () => undefined });

/** The checks each endpoint runs, as kube-apiserver names them. */
export function healthChecks(store: Store, shuttingDown: () => boolean): Record<string, HealthCheck[]> {
  const live = [always("ping"), always("log"), storeCheck("etcd", store)];
  const shutdown: HealthCheck = {
    name: "shutdown",
    check: async () => {
      if (shuttingDown()) throw new Error("process is shutting down");
    },
  };
  return {
    healthz: live,
    livez: live,
    readyz: [...live, storeCheck("etcd-readiness", store), shutdown],
  };
}

const text = (status: number, body: string): ApiResponse => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" },
  body: new TextEncoder().encode(body),
});

/** The answer for a health path, or undefined when `path` is not one. */
export async function serveHealth(
  request: ApiRequest,
  path: string,
  checks: Record<string, HealthCheck[]>,
  log: (message: string, err?: unknown) => void,
): Promise<ApiResponse | undefined> {
  if (request.method !== "GET") return undefined;
  const [, endpoint, one, ...rest] = path.split("/");
  const list = Object.hasOwn(checks, endpoint) ? checks[endpoint] : undefined;
  if (!list || rest.length > 0) return undefined;
  if (one !== undefined) {
    const check = list.find((c) => c.name === one);
    if (!check) return text(404, "404 page not found\n");
    try {
      await check.check();
      return text(200, "ok");
    } catch (err) {
      return text(500, `internal server error: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  const excluded = new Set(request.query.getAll("exclude"));
  const results = await Promise.all(
    list.map(async (c) => {
      if (excluded.delete(c.name)) return { line: `[+]${c.name} excluded: ok`, failed: false };
      try {
        await c.check();
        return { line: `[+]${c.name} ok`, failed: false };
      } catch (err) {
        log(`${endpoint} check ${c.name} failed`, err);
        return { line: `[-]${c.name} failed: reason withheld`, failed: true };
      }
    }),
  );
  let output = results.map((r) => `${r.line}\n`).join("");
  if (excluded.size > 0) {
    const names = [...excluded].sort().map((name) => `"${name}"`);
    output += `warn: some health checks cannot be excluded: no matches for ${names.join(",")}\n`;
  }
  // always verbose on failure, as upstream
  if (results.some((r) => r.failed)) return text(500, `${output}${endpoint} check failed\n`);
  if (!request.query.has("verbose")) return text(200, "ok");
  return text(200, `${output}${endpoint} check passed\n`);
}
