// The apiserver: createApiServer({ store }) gives the handler (ApiRequest → ApiResponse, the whole server, which
// the in-process client transport calls directly) and listen(), which serves it over plain HTTP/1.1 with
// chunked watch streams. It owns the store: registries per resource, admission, namespace lifecycle, compaction.
import type { ApiHandler, ApiRequest, ApiResponse } from "../api/http.js";
import type { KubeObject } from "../api/meta.js";
import type { ResourceDefinition } from "../api/resource.js";
import { resources as apiResources } from "../api/resources.js";
import type { Store } from "../store/store.js";
import { storagePlugins } from "./admission/storage.js";
import { AdmissionChain, type AdmissionPlugin, type ObjectReader } from "./admission/types.js";
import { withBuiltins } from "./builtin.js";
import { Compactor } from "./compaction.js";
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
import { authorizationGroupVersion, authorizationResources, serveAuthorization } from "./authorization.js";
import { StatusError, toStatusError } from "./errors.js";
import { handleResource } from "./handlers.js";
import { serveHttp } from "./http.js";
import { NamespaceLifecycle } from "./namespaces.js";
import { decodeObject } from "./registry/codec.js";
import { GenericRegistry } from "./registry/generic.js";
import { listPrefix } from "./registry/keys.js";
import { jsonResponse, statusResponse } from "./respond.js";
import { parseResourcePath } from "./route.js";
import type { Node, Pod } from "../api/core/types.js";
import { handleUpgrade } from "./podexec.js";
import { podLog, type PodStreamContext } from "./podlog.js";

export interface ApiServerOptions {
  store: Store;
  /** The served resources; default: src/api's, plus built-in stand-ins for kinds it lacks. */
  resources?: ResourceDefinition[];
  /** Extra admission plugins, run after the built-in ones. */
  admission?: AdmissionPlugin[];
  /** How often old revisions are compacted away (upstream: 5 minutes); 0 disables. */
  compactionIntervalMs?: number;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (upstream: about a minute). */
  bookmarkIntervalMs?: number;
  version?: string;
  log?: (message: string, err?: unknown) => void;
}

export interface ApiServer {
  handler: ApiHandler;
  /** Serves the handler on "host:port" (port 0: any free port). */
  listen(address: string): Promise<{ url: string; close(): Promise<void> }>;
  /** Stops background work and every listener; the store stays open (its owner closes it). */
  close(): Promise<void>;
}

const notFoundStatus = () =>
  new StatusError(404, "NotFound", "the server could not find the requested resource", {
    causes: [{ reason: "UnexpectedServerResponse", message: "404 page not found" }],
  });

export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const store = options.store;
  const log =
    options.log ??
    ((message: string, err?: unknown) =>
      console.error(`apiserver: ${message}`, err instanceof Error ? (err.stack ?? err.message) : (err ?? "")));
  const definitions = options.resources ?? withBuiltins(apiResources);
  const registries = new Map<string, GenericRegistry>();
  const key = (group: string, version: string, plural: string) => `${group}/${version}/${plural}`;

  const reader: ObjectReader = {
    async get(group, plural, namespace, name) {
      const registry = [...registries.values()].find((r) => r.def.group === group && r.def.plural === plural);
      const kv = registry && (await store.get(registry.key(namespace, name)));
      return kv ? decodeObject(kv) : undefined;
    },
    async list(group, plural, namespace) {
      const registry = [...registries.values()].find((r) => r.def.group === group && r.def.plural === plural);
      if (!registry) return [];
      const page = await store.list(listPrefix(registry.def, namespace));
      return page.items.map((kv) => decodeObject<KubeObject>(kv));
    },
  };
  // The registries need the admission chain and namespace lifecycle, which need the registries: assigned below.
  // eslint-disable-next-line prefer-const
  let lifecycle!: NamespaceLifecycle;
  // eslint-disable-next-line prefer-const
  let chain!: AdmissionChain;
  const ctx = {
    store,
    admission: () => chain,
    checkNamespace: (namespace: string, def: ResourceDefinition) => lifecycle.check(namespace, def),
    now: () => new Date(),
  };
  for (const def of definitions) registries.set(key(def.group, def.version, def.plural), new GenericRegistry(def, ctx));
  const namespaces = registries.get(key("", "v1", "namespaces"));
  if (!namespaces) throw new Error("the resources served must include core/v1 namespaces");
  lifecycle = new NamespaceLifecycle(namespaces, () => [...registries.values()], log);
  chain = new AdmissionChain([lifecycle.admission(), ...storagePlugins, ...(options.admission ?? [])], reader);
  await lifecycle.ensureSystemNamespaces();
  lifecycle.start();

  const compactor = new Compactor(store, options.compactionIntervalMs ?? 5 * 60_000, log);
  compactor.start();

  const gvs = groupVersions(definitions);
  const openapi = openApiV3Documents(gvs);
  const openapiIndex = openApiV3Index(openapi);
  const version = versionInfo(options.version ?? "0.0.0");
  const handlerContext = {
    log,
    namespaceDeleted: () => lifecycle.kick(),
    bookmarkIntervalMs: options.bookmarkIntervalMs,
  };
  let address = "127.0.0.1:6443";

  function serveNonResource(request: ApiRequest, path: string): ApiResponse | undefined {
    if (request.method !== "GET") return undefined;
    switch (path) {
      case "/version":
        return jsonResponse(200, version);
      case "/api":
        return jsonResponse(200, apiVersions(address));
      case "/apis": {
        const list = apiGroupList(gvs) as { groups: unknown[] };
        const version = { groupVersion: authorizationGroupVersion, version: "v1" };
        list.groups.push({ name: "authorization.k8s.io", versions: [version], preferredVersion: version });
        return jsonResponse(200, list);
      }
      case "/healthz":
      case "/readyz":
      case "/livez":
        return {
          status: 200,
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: new TextEncoder().encode("ok"),
        };
      case "/openapi/v3":
        return jsonResponse(200, openapiIndex);
    }
    if (/^\/(healthz|readyz|livez)\/[a-z0-9-]+$/.test(path)) {
      return {
        status: 200,
        headers: { "content-type": "text/plain; charset=utf-8" },
        body: new TextEncoder().encode("ok"),
      };
    }
    if (path.startsWith("/openapi/v3/")) {
      const doc = openapi.get(path.slice("/openapi/v3/".length));
      if (doc)
        return { status: 200, headers: { "content-type": "application/json" }, body: new TextEncoder().encode(doc) };
      return undefined;
    }
    const parts = path.split("/").filter(Boolean);
    if (parts[0] === "api" && parts.length === 2) {
      const gv = gvs.find((g) => g.group === "" && g.version === parts[1]);
      return gv ? jsonResponse(200, apiResourceList(gv)) : undefined;
    }
    if (path === "/apis/authorization.k8s.io/v1") return jsonResponse(200, authorizationResources());
    if (path === "/apis/authorization.k8s.io") {
      const version = { groupVersion: authorizationGroupVersion, version: "v1" };
      return jsonResponse(200, {
        kind: "APIGroup",
        apiVersion: "v1",
        name: "authorization.k8s.io",
        versions: [version],
        preferredVersion: version,
      });
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

  // pods/log and pods/exec reach the pod's kubelet; they read the pod and its node as the registries store them.
  const podStreams: PodStreamContext = {
    getPod: async (namespace, name) => {
      const pods = registries.get(key("", "v1", "pods"));
      if (!pods) throw notFoundStatus();
      return (await pods.get(namespace, name)) as unknown as Pod;
    },
    getNode: async (name) => {
      const nodes = registries.get(key("", "v1", "nodes"));
      if (!nodes) throw notFoundStatus();
      return (await nodes.get(undefined, name)) as unknown as Node;
    },
  };

  const handler: ApiHandler = async (request) => {
    try {
      const path = request.path.length > 1 ? request.path.replace(/\/+$/, "") : request.path;
      const nonResource = serveNonResource(request, path) ?? serveAuthorization(request, path);
      if (nonResource) return nonResource;
      const route = parseResourcePath(path);
      if (route?.group === "" && route.plural === "pods" && route.namespace && route.name) {
        if (route.subresource === "log") return await podLog(request, route.namespace, route.name, podStreams);
        // Reached without an Upgrade header (upgrades go to handleUpgrade): upstream's UpgradeAwareHandler answer.
        if (route.subresource === "exec" || route.subresource === "attach" || route.subresource === "portforward")
          throw new StatusError(400, "BadRequest", "Upgrade request required");
      }
      const registry = route && registries.get(key(route.group, route.version, route.plural));
      if (!route || !registry) throw notFoundStatus();
      return await handleResource(request, route, registry, handlerContext);
    } catch (err) {
      return statusResponse(toStatusError(err, log));
    }
  };

  const listeners: Array<{ close(): Promise<void> }> = [];
  return {
    handler,
    async listen(listenAddress: string) {
      const listener = await serveHttp(handler, listenAddress, log, (req, socket, head) =>
        handleUpgrade(req, socket, head, podStreams, log),
      );
      address = listener.address;
      listeners.push(listener);
      return listener;
    },
    async close() {
      lifecycle.stop();
      compactor.stop();
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}
