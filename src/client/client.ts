// createClient(transport): one typed client per resource, named as Kubernetes names them
// (client.persistentVolumeClaims, client.leases, …). Cluster-scoped clients take `name`; namespaced ones take
// `namespace, name` (the order of every kubectl and client-go call). Objects written carry their own namespace.
import type { KubeObject } from "../api/meta.js";
import type { ResourceDescriptor } from "./resources.js";
import { resources } from "./resources.js";
import type {
  DeleteOptions,
  ListOptions,
  ObjectList,
  PatchOptions,
  PatchType,
  WatchEvent,
  WatchOptions,
  Writable,
  WriteOptions,
} from "./resourceclient.js";
import { Rest } from "./resourceclient.js";
import type { Transport } from "./transport.js";

/** What every resource client offers, whatever its scope: what informers and generic code use. */
export interface ResourceClient<T extends KubeObject> {
  readonly resource: ResourceDescriptor<T>;
  list(options?: ListOptions): Promise<ObjectList<T>>;
  /** Follows `continue` to the end. */
  listAll(options?: Omit<ListOptions, "continue">): Promise<ObjectList<T>>;
  watch(options?: WatchOptions): AsyncIterable<WatchEvent<T>>;
  create(object: Writable<T>, options?: WriteOptions): Promise<T>;
  /** PUT with the object's resourceVersion: a stale one is a 409 Conflict (isConflict). */
  update(object: Writable<T>, options?: WriteOptions): Promise<T>;
  /** PUT …/status: only status changes are kept. */
  updateStatus(object: Writable<T>, options?: WriteOptions): Promise<T>;
  deleteCollection(options?: ListOptions & DeleteOptions): Promise<void>;
  /** Get/patch/delete by the object's own metadata (namespace and name), whatever the scope. */
  getByKey(key: { namespace?: string; name: string }, options?: { signal?: AbortSignal }): Promise<T>;
  patchByKey(
    key: { namespace?: string; name: string },
    type: PatchType,
    patch: unknown,
    options?: PatchOptions,
  ): Promise<T>;
  deleteByKey(key: { namespace?: string; name: string }, options?: DeleteOptions): Promise<T | undefined>;
}

export interface ClusterResourceClient<T extends KubeObject> extends ResourceClient<T> {
  get(name: string, options?: { signal?: AbortSignal }): Promise<T>;
  patch(name: string, type: PatchType, patch: unknown, options?: PatchOptions): Promise<T>;
  delete(name: string, options?: DeleteOptions): Promise<T | undefined>;
}

export interface NamespacedResourceClient<T extends KubeObject> extends ResourceClient<T> {
  get(namespace: string, name: string, options?: { signal?: AbortSignal }): Promise<T>;
  patch(namespace: string, name: string, type: PatchType, patch: unknown, options?: PatchOptions): Promise<T>;
  delete(namespace: string, name: string, options?: DeleteOptions): Promise<T | undefined>;
}

function common<T extends KubeObject>(rest: Rest<T>): ResourceClient<T> {
  const ns = (key: { namespace?: string }): string | undefined =>
    rest.resource.namespaced ? key.namespace : undefined;
  return {
    resource: rest.resource,
    list: (options) => rest.list(options),
    listAll: (options) => rest.listAll(options),
    watch: (options) => rest.watch(options),
    create: (object, options) => rest.create(object, options),
    update: (object, options) => rest.update(object, options),
    updateStatus: (object, options) => rest.update(object, options, "status"),
    deleteCollection: (options) => rest.deleteCollection(options),
    getByKey: (key, options) => rest.get(ns(key), key.name, options),
    patchByKey: (key, type, patch, options) => rest.patch(ns(key), key.name, type, patch, options),
    deleteByKey: (key, options) => rest.delete(ns(key), key.name, options),
  };
}

export function clusterClient<T extends KubeObject>(
  transport: Transport,
  resource: ResourceDescriptor<T, false>,
  userAgent = defaultUserAgent,
): ClusterResourceClient<T> {
  const rest = new Rest<T>(transport, resource, userAgent);
  return {
    ...common(rest),
    get: (name, options) => rest.get(undefined, name, options),
    patch: (name, type, patch, options) => rest.patch(undefined, name, type, patch, options),
    delete: (name, options) => rest.delete(undefined, name, options),
  };
}

export function namespacedClient<T extends KubeObject>(
  transport: Transport,
  resource: ResourceDescriptor<T, true>,
  userAgent = defaultUserAgent,
): NamespacedResourceClient<T> {
  const rest = new Rest<T>(transport, resource, userAgent);
  return {
    ...common(rest),
    get: (namespace, name, options) => rest.get(namespace, name, options),
    patch: (namespace, name, type, patch, options) => rest.patch(namespace, name, type, patch, options),
    delete: (namespace, name, options) => rest.delete(namespace, name, options),
  };
}

const defaultUserAgent = "stowage/v0.1.0";

type Table = typeof resources;
type ObjectOf<D> = D extends ResourceDescriptor<infer T, boolean> ? T : never;

/** client.<resource>: the scope decides which facade each resource gets. */
export type Client = {
  [K in keyof Table]: Table[K]["namespaced"] extends true
    ? NamespacedResourceClient<ObjectOf<Table[K]>>
    : ClusterResourceClient<ObjectOf<Table[K]>>;
} & {
  readonly transport: Transport;
  /** A client for a resource not in the table (e.g. a CRD), by its descriptor. */
  resource<T extends KubeObject>(descriptor: ResourceDescriptor<T, true>): NamespacedResourceClient<T>;
  resource<T extends KubeObject>(descriptor: ResourceDescriptor<T, false>): ClusterResourceClient<T>;
};

export interface ClientOptions {
  /** Sent as User-Agent, e.g. "stowage-controller-manager". */
  userAgent?: string;
}

export function createClient(transport: Transport, options: ClientOptions = {}): Client {
  const userAgent = options.userAgent ?? defaultUserAgent;
  const make = (descriptor: ResourceDescriptor): ResourceClient<KubeObject> =>
    descriptor.namespaced
      ? namespacedClient(transport, descriptor as ResourceDescriptor<KubeObject, true>, userAgent)
      : clusterClient(transport, descriptor as ResourceDescriptor<KubeObject, false>, userAgent);
  const client: Record<string, unknown> = { transport, resource: make };
  for (const [name, descriptor] of Object.entries(resources)) client[name] = make(descriptor);
  return client as Client;
}
