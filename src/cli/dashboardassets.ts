// The dashboard's files as the apiserver serves them at /dashboard/: read once from the built directory
// (`npm run build` writes dist/web), the hashed assets cached for a year, index.html never (it names the hashes).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ApiHandler, ApiResponse } from "../api/http.js";

/** Where `npm run build` puts the dashboard (the same from src/cli under tsx and from dist/cli). */
export const builtDashboardDir = fileURLToPath(new URL("../../dist/web/", import.meta.url));

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
};

// The page may load only its own files and talk only to its own origin (the API).
const securityHeaders = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

const text = (status: number, body: string, headers: Record<string, string> = {}): ApiResponse => ({
  status,
  headers: { "content-type": "text/plain; charset=utf-8", ...securityHeaders, ...headers },
  body: new TextEncoder().encode(body),
});

/** up's startup line about the dashboard. */
export const dashboardLine = (url: string, served: boolean): string =>
  served
    ? `dashboard: ${url}/dashboard/ (\`stowage dashboard\` prints a login token)`
    : "dashboard: not built (npm run build builds it)";

/** The handler for GET /dashboard and below, or undefined when the dashboard was not built in `dir`. */
export function dashboardAssets(dir: string = builtDashboardDir): ApiHandler | undefined {
  const indexFile = join(dir, "index.html");
  if (!existsSync(indexFile)) return undefined;
  const index = readFileSync(indexFile);
  const assets = new Map<string, Uint8Array>();
  const assetDir = join(dir, "assets");
  if (existsSync(assetDir))
    for (const name of readdirSync(assetDir)) assets.set(name, readFileSync(join(assetDir, name)));
  return async (request) => {
    const path = request.path;
    if (path === "/dashboard") return text(301, "", { location: "/dashboard/" });
    if (path === "/dashboard/" || path === "/dashboard/index.html") {
      return {
        status: 200,
        headers: { "content-type": contentTypes[".html"], "cache-control": "no-cache", ...securityHeaders },
        body: index,
      };
    }
    const name = path.startsWith("/dashboard/assets/") ? path.slice("/dashboard/assets/".length) : undefined;
    const asset = name === undefined ? undefined : assets.get(name);
    if (!name || !asset) return text(404, "404 page not found\n");
    return {
      status: 200,
      headers: {
        "content-type": contentTypes[extname(name)] ?? "application/octet-stream",
        // the name carries the content's hash: a changed file is a new name
        "cache-control": "public, max-age=31536000, immutable",
        ...securityHeaders,
      },
      body: asset,
    };
  };
}
