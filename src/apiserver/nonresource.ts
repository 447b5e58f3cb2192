// The paths that are not resources: /version, discovery (/api, /apis and below), health checks and the
// OpenAPI v3 documents, all read-only and computed once from the served resources.
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { ResourceDefinition } from "../api/resource.js";
import { authorizationGroupVersion, authorizationResources } from "./authorization.js";
import { authenticationGroup, authenticationResources } from "./selfsubjectreview.js";
import {
  apiGroupDoc,
  apiGroupList,
  apiResourceList,
  apiVersions,
  groupVersions,
  openApiV3Documents,
  openApiV3Index,
  versionInfo,
} from "./discovery.js";
import { healthReport, type HealthCheck } from "./health.js";
import { jsonResponse } from "./respond.js";

/** GET of a non-resource path → its answer; undefined for anything else (a resource path, or not found). */
export type NonResourceHandler = (request: ApiRequest, path: string) => ApiResponse | undefined;

const ok = (): ApiResponse => ({
  status: 200,
  headers: { "content-type": "text/plain; charset=utf-8" },
  body: new TextEncoder().encode("ok"),
});

/** authorization.k8s.io is served by hand (authorization.ts), beside the groups of the resource definitions. */
const authorizationVersion = { groupVersion: authorizationGroupVersion, version: "v1" };
const authorizationGroup = {
  name: "authorization.k8s.io",
  versions: [authorizationVersion],
  preferredVersion: authorizationVersion,
};

/** `address` is where the server listens, for /api's serverAddressByClientCIDRs; it is known only once listening. */
export function nonResourceHandler(
  definitions: ResourceDefinition[],
  stowageVersion: string,
  address: () => string,
  /** What /healthz and /readyz check beyond "ping" (the store); /livez checks only that we answer. */
  checks: HealthCheck[] = [],
): NonResourceHandler {
  const gvs = groupVersions(definitions);
  const openapi = openApiV3Documents(gvs);
  const openapiIndex = openApiV3Index(openapi);
  const version = versionInfo(stowageVersion);

  function discovery(path: string): ApiResponse | undefined {
    const parts = path.split("/").filter(Boolean);
    if (parts[0] === "api" && parts.length === 2) {
      const gv = gvs.find((g) => g.group === "" && g.version === parts[1]);
      return gv ? jsonResponse(200, apiResourceList(gv)) : undefined;
    }
    if (path === "/apis/authorization.k8s.io/v1") return jsonResponse(200, authorizationResources());
    if (path === "/apis/authentication.k8s.io/v1") return jsonResponse(200, authenticationResources());
    if (path === "/apis/authentication.k8s.io") {
      return jsonResponse(200, { kind: "APIGroup", apiVersion: "v1", ...authenticationGroup });
    }
    if (path === "/apis/authorization.k8s.io") {
      return jsonResponse(200, { kind: "APIGroup", apiVersion: "v1", ...authorizationGroup });
    }
    if (parts[0] === "apis" && parts.length === 2) {
      const doc = apiGroupDoc(gvs, parts[1]);
      return doc ? jsonResponse(200, doc) : undefined;
    }
    if (parts[0] === "apis" && parts.length === 3) {
      const gv = gvs.find((g) => g.group === parts[1] && g.version === parts[2]);
      return gv ? jsonResponse(200, apiResourceList(gv)) : undefined;
    }
    return undefined;
  }

  return (request, path) => {
    if (request.method !== "GET") return undefined;
    switch (path) {
      case "/version":
        return jsonResponse(200, version);
      case "/api":
        return jsonResponse(200, apiVersions(address()));
      case "/apis": {
        const list = apiGroupList(gvs) as { groups: unknown[] };
        list.groups.push(authorizationGroup, authenticationGroup);
        return jsonResponse(200, list);
      }
      case "/healthz":
      case "/readyz": {
        const report = healthReport(checks, path.slice(1));
        if (report.status === 200) return ok();
        return {
          status: report.status,
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: new TextEncoder().encode(report.text),
        };
      }
      case "/livez":
        return ok();
      case "/openapi/v3":
        return jsonResponse(200, openapiIndex);
    }
    if (/^\/(healthz|readyz|livez)\/[a-z0-9-]+$/.test(path)) return ok();
    if (path.startsWith("/openapi/v3/")) {
      const doc = openapi.get(path.slice("/openapi/v3/".length));
      if (!doc) return undefined;
      return { status: 200, headers: { "content-type": "application/json" }, body: new TextEncoder().encode(doc) };
    }
    return discovery(path);
  };
}
