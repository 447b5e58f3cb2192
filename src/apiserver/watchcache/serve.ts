// Lists and watches of a resource, from its watch cache when the cache can answer, else from the store as before
// (upstream's cacher delegating to etcd3 storage).
import type { ResourceDefinition } from "../../api/resource.js";
import type { Store } from "../../store/store.js";
import { listObjects, type ListPage, type ListRequest } from "../registry/list.js";
import { watchObjects, type RegistryWatchEvent, type WatchRequest } from "../registry/watch.js";
import type { Cacher } from "./cacher.js";

export async function serveList(
  cacher: Cacher | undefined,
  store: Store,
  def: ResourceDefinition,
  namespace: string | undefined,
  request: ListRequest,
): Promise<ListPage> {
  return (await cacher?.list(namespace, request)) ?? (await listObjects(store, def, namespace, request));
}

/** The watch's events: the cache's watcher itself (no generator in between), or the store's. */
export async function serveWatch(
  cacher: Cacher | undefined,
  store: Store,
  def: ResourceDefinition,
  namespace: string | undefined,
  request: WatchRequest,
): Promise<AsyncIterable<RegistryWatchEvent>> {
  return (await cacher?.watch(namespace, request)) ?? watchObjects(store, def, namespace, request);
}
