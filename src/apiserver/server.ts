// The apiserver: createApiServer({ store }) gives the handler (ApiRequest → ApiResponse, the whole server, which
// the in-process client transport calls directly) and listen(), which serves it over HTTPS (HTTP/2, or HTTP/1.1
// for clients that only speak it) or plain HTTP/1.1. It owns the store: registries per resource, admission, namespace lifecycle, compaction.
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import type { ApiHandler, ApiRequest, ApiResponse } from "../api/http.js";
import type { ResourceDefinition } from "../api/resource.js";
import { resources as apiResources } from "../api/resources.js";
import type { Store } from "../store/store.js";
import { storagePlugins } from "./admission/storage.js";
import { podSecurityAdmission } from "./admission/podsecurity/admission.js";
import { AdmissionChain, type AdmissionPlugin, type ObjectReader } from "./admission/types.js";
import { nodeRestriction } from "./admission/noderestriction.js";
import type { AuditEvent } from "./audit.js";
import { rbacEscalationCheck } from "./authz/policybased.js";
import { Compactor } from "./compaction.js";
import { EventExpiry } from "./eventttl.js";
import { serveAuthorization } from "./authorization.js";
import { serveSelfSubjectReview } from "./selfsubjectreview.js";
import { StatusError, toStatusError } from "./errors.js";
import { handleResource, type HandlerContext } from "./handlers.js";
import { clientCertificateOf, serveHttp, type ServingTls } from "./http.js";
import { startSecurity } from "./authz/setup.js";
import type { RequestGate, SecurityOptions } from "./authz/gate.js";
import { NamespaceLifecycle } from "./namespaces.js";
import { GenericRegistry } from "./registry/generic.js";
import { resourcePrefix } from "./registry/keys.js";
import { EncryptionConfigError, type EncryptionConfig } from "./encryption/config.js";
import { EncryptingStore } from "./encryption/store.js";
import { Cacher } from "./watchcache/cacher.js";
import { cachedReader, storeReader } from "./objectreader.js";
import { transformerFor, type Transformer } from "./encryption/transformer.js";
import { nonResourceHandler, type NonResourceHandler } from "./nonresource.js";
import { metricsResponse, recordWhenAnswered } from "./metrics.js";
import { statusResponse } from "./respond.js";
import { parseResourcePath } from "./route.js";
import type { Node, Pod } from "../api/core/types.js";
import { handleUpgrade } from "./podexec.js";
import { podLog, type PodStreamContext } from "./podlog.js";
import { ServiceAccountTokens, type ServiceAccountTokenOptions } from "./authn/serviceaccount.js";
import { serviceAccountAuthenticator } from "./authn/serviceaccountvalidator.js";
import { serviceAccountAdmission } from "./admission/serviceaccount.js";
import type { KubeletClientTls } from "./kubelet.js";
import type { RequestLimits } from "./inflight.js";
import { serveControlPlaneBackup } from "./backup.js";
import { healthChecks, serveHealth, type HealthCheck } from "./health.js";

export interface ApiServerOptions {
  store: Store;
  /** The served resources; default: src/api's. */
  resources?: ResourceDefinition[];
  /** Extra admission plugins, run after the built-in ones. */
  admission?: AdmissionPlugin[];
  /** How often old revisions are compacted away (upstream: 5 minutes); 0 disables. */
  compactionIntervalMs?: number;
  /** --event-ttl: Events go this long after their last write (upstream: 1 hour); 0 keeps them. */
  eventTtlMs?: number;
  /** How often expired Events are swept (default a minute). */
  eventSweepIntervalMs?: number;
  /** How often a watch with allowWatchBookmarks gets a BOOKMARK (upstream: about a minute). */
  bookmarkIntervalMs?: number;
  version?: string;
  log?: (message: string, err?: unknown) => void;
  /**
   * Authentication and authorization, as kube-apiserver's flags configure them. Without it every request is
   * allowed (the in-process default of `stowage up` until security is on by default there).
   */
  security?: SecurityOptions;
  /** Serve HTTPS with this certificate, and verify client certificates against clientCA. */
  tls?: ServingTls;
  /** --encryption-provider-config: how the listed resources are encrypted at rest. */
  encryption?: EncryptionConfig;
  /** Where an audit log would take each write's audit annotations (stowage keeps none; see audit.ts). */
  audit?: (event: AuditEvent) => void;
  /**
   * ServiceAccount tokens (--service-account-signing-key-file, --service-account-key-file, --service-account-issuer,
   * --api-audiences): serviceaccounts/{name}/token issues them and, with `security`, they authenticate as bearer
   * tokens. Without it neither is served.
   */
  serviceAccountTokens?: ServiceAccountTokenOptions;
  /**
   * --kubelet-client-certificate/--kubelet-client-key and --kubelet-certificate-authority: how pods/log and
   * pods/exec reach kubelets (HTTPS only). Without a client certificate kubelets refuse them (401).
   */
  kubeletClient?: KubeletClientTls;
  /** --max-requests-inflight, --max-mutating-requests-inflight, --request-timeout (upstream's defaults without). */
  limits?: RequestLimits;
  /**
   * The dashboard's static files, answering GET /dashboard and below (cli hands it in: the apiserver imports no web
   * code). Served before authentication, as a browser loads the login page with no credentials: the files hold no
   * data; everything the page shows comes through the API with the user's token, where RBAC applies.
   */
  dashboard?: ApiHandler;
  /**
   * The watch cache (kube-apiserver's --watch-cache, on by default): every resource's lists and watches served
   * from memory kept by one store watch. false: every list and watch reads the store.
   */
  watchCache?: false | { capacity?: number; freshnessTimeoutMs?: number };
}

export interface ApiServer {
  handler: ApiHandler;
  /** Serves the handler on "host:port" (port 0: any free port). */
  listen(address: string): Promise<{ url: string; close(): Promise<void> }>;
  /** Stops background work and every listener; the store stays open (its owner closes it). */
  close(): Promise<void>;
  /** Resolves once every resource's watch cache has been listed (until then the store answers; tests wait). */
  watchCachesPrimed(): Promise<void>;
}

const notFoundStatus = () =>
  new StatusError(404, "NotFound", "the server could not find the requested resource", {
    causes: [{ reason: "UnexpectedServerResponse", message: "404 page not found" }],
  });

export async function createApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const definitions = options.resources ?? apiResources;
  const store = options.encryption ? encryptingStore(options.store, options.encryption, definitions) : options.store;
  const log =
    options.log ??
    ((message: string, err?: unknown) =>
      console.error(`apiserver: ${message}`, err instanceof Error ? (err.stack ?? err.message) : (err ?? "")));
  // the escalation check asks the gate's authorizer, which exists only once the registries do (it bootstraps through them)
  const security: { gate?: RequestGate } = {};
  const extraAdmission = [rbacEscalationCheck(() => security.gate), ...(options.admission ?? [])];
  const cachers = new Map<GenericRegistry, Cacher>();
  const { registries, lifecycle, reader } = createRegistries(store, definitions, extraAdmission, log, cachers);
  if (options.watchCache !== false) {
    for (const registry of registries.values()) {
      const cacher = new Cacher(store, registry.def, { ...options.watchCache, log });
      cachers.set(registry, cacher);
      cacher.start();
    }
  }
  await lifecycle.ensureSystemNamespaces();
  lifecycle.start();

  const compactor = new Compactor(store, options.compactionIntervalMs ?? 5 * 60_000, log);
  compactor.start();
  const eventExpiry = new EventExpiry(
    store,
    options.eventTtlMs ?? 3_600_000,
    options.eventSweepIntervalMs ?? 60_000,
    log,
  );
  eventExpiry.start();

  let address = "127.0.0.1:6443";
  const nonResource = nonResourceHandler(definitions, options.version ?? "0.0.0", () => address);
  const podStreams = podStreamsOf(registries, options.kubeletClient ?? {});
  const stopping = new AbortController();
  const find = (group: string, plural: string) =>
    [...registries.values()].find((r) => r.def.group === group && r.def.plural === plural);
  const tokens = options.serviceAccountTokens && new ServiceAccountTokens(options.serviceAccountTokens);
  const securityOptions =
    options.security && tokens ? withServiceAccountTokens(options.security, tokens, reader) : options.security;
  const gate = securityOptions ? await startSecurity(securityOptions, store, find, stopping.signal, log) : undefined;
  security.gate = gate;
  const handlerContext: HandlerContext = {
    log,
    namespaceDeleted: () => lifecycle.kick(),
    bookmarkIntervalMs: options.bookmarkIntervalMs,
    audit: options.audit,
    cacherOf: (registry) => cachers.get(registry),
    ...(tokens ? { tokenRequests: { tokens, objects: reader } } : {}),
  };
  const health = healthChecks(store, () => stopping.signal.aborted);
  const routes: Routes = { nonResource, registries, podStreams, handlerContext, gate, health, log, store };
  const handler: ApiHandler = async (request) => {
    const startedAt = performance.now();
    let response: ApiResponse;
    try {
      if (options.dashboard && isDashboardPath(request)) response = await options.dashboard(request);
      else {
        if (gate) request.user = await gate.admit(request);
        response = await route(request, routes);
      }
    } catch (err) {
      response = statusResponse(toStatusError(err, log));
    }
    return recordWhenAnswered(request, response, startedAt);
  };

  const listeners: Array<{ close(): Promise<void> }> = [];
  return {
    handler,
    async listen(listenAddress: string) {
      const listener = await serveHttp(
        handler,
        listenAddress,
        log,
        async (req, socket, head) => {
          if (gate && !(await admitUpgrade(gate, req, socket))) return;
          await handleUpgrade(req, socket, head, podStreams, log);
        },
        options.tls,
        options.limits,
      );
      address = listener.address;
      listeners.push(listener);
      return listener;
    },
    async watchCachesPrimed() {
      await Promise.all([...cachers.values()].map((cacher) => cacher.primedOnce()));
    },
    async close() {
      stopping.abort();
      lifecycle.stop();
      compactor.stop();
      eventExpiry.stop();
      for (const cacher of cachers.values()) cacher.stop();
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}

const isDashboardPath = (request: ApiRequest) =>
  request.method === "GET" && (request.path === "/dashboard" || request.path.startsWith("/dashboard/"));

/** The store as the registries see it: the configured resources' values encrypted on the way in, decrypted out. */
function encryptingStore(store: Store, config: EncryptionConfig, definitions: ResourceDefinition[]): Store {
  const prefixes = [...config.resources].map(([name, providers]): [string, Transformer] => {
    const def = definitions.find((d) => (d.group ? `${d.plural}.${d.group}` : d.plural) === name);
    if (!def) throw new EncryptionConfigError(`resources: "${name}" is not a resource this apiserver serves`);
    return [resourcePrefix(def), transformerFor(providers)];
  });
  return new EncryptingStore(store, prefixes);
}

/** ServiceAccount tokens authenticate after the configured bearer authenticators, as upstream's union orders them. */
function withServiceAccountTokens(
  security: SecurityOptions,
  tokens: ServiceAccountTokens,
  reader: ObjectReader,
): SecurityOptions {
  const authenticate = serviceAccountAuthenticator(tokens, (plural, namespace, name) =>
    reader.get("", plural, namespace, name),
  );
  const authentication = security.authentication;
  return {
    ...security,
    authentication: { ...authentication, bearer: [...(authentication.bearer ?? []), authenticate] },
  };
}

/** The served resources' registries, keyed "group/version/plural". */
type Registries = Map<string, GenericRegistry>;
const registryKey = (group: string, version: string, plural: string) => `${group}/${version}/${plural}`;

/** A registry per resource, with the admission chain and namespace lifecycle they share; `admission` runs last. */
function createRegistries(
  store: Store,
  definitions: ResourceDefinition[],
  admission: AdmissionPlugin[],
  log: (message: string, err?: unknown) => void,
  cachers: ReadonlyMap<GenericRegistry, Cacher>,
): { registries: Registries; lifecycle: NamespaceLifecycle; reader: ObjectReader } {
  const registries: Registries = new Map();
  // The registries need the admission chain and namespace lifecycle, which need the registries: made below, and
  // only called for once requests come.
  const ctx = {
    store,
    admission: () => chain,
    checkNamespace: (namespace: string, def: ResourceDefinition) => lifecycle.check(namespace, def),
    now: () => new Date(),
  };
  for (const def of definitions) {
    registries.set(registryKey(def.group, def.version, def.plural), new GenericRegistry(def, ctx));
  }
  const namespaces = registries.get(registryKey("", "v1", "namespaces"));
  if (!namespaces) throw new Error("the resources served must include core/v1 namespaces");
  const lifecycle = new NamespaceLifecycle(namespaces, () => [...registries.values()], log);
  const registryOf = (group: string, plural: string): GenericRegistry | undefined => {
    for (const registry of registries.values()) {
      if (registry.def.group === group && registry.def.plural === plural) return registry;
    }
    return undefined;
  };
  // admission reads as upstream's plugins do, from the watch cache (their informers); authentication and
  // TokenRequest read the store, so a deleted ServiceAccount, Secret or Pod stops its tokens at once
  const reader = storeReader({ store, registryOf });
  const chain = new AdmissionChain(
    // kube-apiserver's order (AllOrderedPlugins): NamespaceLifecycle, ServiceAccount, NodeRestriction, PodSecurity,
    // then the storage ones
    [
      lifecycle.admission(),
      serviceAccountAdmission,
      nodeRestriction,
      podSecurityAdmission,
      ...storagePlugins,
      ...admission,
    ],
    cachedReader({ store, registryOf, cacherOf: (registry) => cachers.get(registry) }),
  );
  return { registries, lifecycle, reader };
}

/** pods/log and pods/exec reach the pod's kubelet; they read the pod and its node as the registries store them. */
function podStreamsOf(registries: Registries, kubeletClient: KubeletClientTls): PodStreamContext {
  return {
    kubeletClient,
    getPod: async (namespace, name) => {
      const pods = registries.get(registryKey("", "v1", "pods"));
      if (!pods) throw notFoundStatus();
      return (await pods.get(namespace, name)) as unknown as Pod;
    },
    getNode: async (name) => {
      const nodes = registries.get(registryKey("", "v1", "nodes"));
      if (!nodes) throw notFoundStatus();
      return (await nodes.get(undefined, name)) as unknown as Node;
    },
  };
}

interface Routes {
  gate?: RequestGate;
  health: Record<string, HealthCheck[]>;
  log: (message: string, err?: unknown) => void;
  nonResource: NonResourceHandler;
  registries: Registries;
  podStreams: PodStreamContext;
  handlerContext: HandlerContext;
  store: Store;
}

/** Non-resource paths first, then pods' streaming subresources, then the resource's registry. */
async function route(request: ApiRequest, routes: Routes): Promise<ApiResponse> {
  const path = request.path.length > 1 ? request.path.replace(/\/+$/, "") : request.path;
  const health = await serveHealth(request, path, routes.health, routes.log);
  if (health) return health;
  const nonResource =
    routes.nonResource(request, path) ??
    serveAuthorization(request, path, routes.gate) ??
    serveSelfSubjectReview(request, path);
  if (nonResource) return nonResource;
  if (path === "/metrics" && request.method === "GET") return await metricsResponse();
  const backup = await serveControlPlaneBackup(request, path, routes.store);
  if (backup) return backup;
  const route = parseResourcePath(path);
  if (route?.group === "" && route.plural === "pods" && route.namespace && route.name) {
    if (route.subresource === "log") return await podLog(request, route.namespace, route.name, routes.podStreams);
    // Reached without an Upgrade header (upgrades go to handleUpgrade): upstream's UpgradeAwareHandler answer.
    if (route.subresource === "exec" || route.subresource === "attach" || route.subresource === "portforward")
      throw new StatusError(400, "BadRequest", "Upgrade request required");
  }
  const registry = route && routes.registries.get(registryKey(route.group, route.version, route.plural));
  if (!route || !registry) throw notFoundStatus();
  return await handleResource(request, route, registry, routes.handlerContext);
}

/** pods/exec and attach arrive as upgrades, past the handler: the same gate, answered on the raw socket. */
async function admitUpgrade(gate: RequestGate, req: IncomingMessage, socket: Socket): Promise<boolean> {
  const url = new URL(req.url ?? "/", "http://apiserver");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers[name] = value;
  try {
    await gate.admit({
      method: req.method === "POST" ? "POST" : "GET",
      path: url.pathname,
      query: url.searchParams,
      headers,
      clientCertificate: clientCertificateOf(socket),
    });
    return true;
  } catch (err) {
    const status = err instanceof StatusError ? err : new StatusError(500, "InternalError", String(err));
    const body = JSON.stringify(status.toStatus());
    socket.end(
      `HTTP/1.1 ${status.code} ${status.reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    return false;
  }
}
