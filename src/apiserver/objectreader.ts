// How admission plugins read other objects (a claim's default class, a pod's namespace, an evicted pod): as
// upstream's plugins read them from informers' listers, here from this apiserver's watch cache of the resource,
// which holds each object decoded once. On etcd that saves a round trip (and a decode per object listed) on every
// create that asks. An object the cache lacks is read from the store, as upstream's getters fall back to a live
// lookup (one created through another apiserver a moment ago); a resource without a listed cache reads the store.
import type { KubeObject } from "../api/meta.js";
import type { Store } from "../store/store.js";
import type { ObjectReader } from "./admission/types.js";
import { decodeObject } from "./registry/codec.js";
import type { GenericRegistry } from "./registry/generic.js";
import { listPrefix } from "./registry/keys.js";
import type { Cacher } from "./watchcache/cacher.js";
import { objectOf } from "./watchcache/encoded.js";

export interface ReaderSources {
  store: Store;
  /** The registry of a served resource, if it is served. */
  registryOf(group: string, plural: string): GenericRegistry | undefined;
  /** Its watch cache, when there is one (none with the watch cache off, or before the apiserver made them). */
  cacherOf?(registry: GenericRegistry): Cacher | undefined;
}

/** Reads straight from the store: for authentication and TokenRequest, which must see a deletion at once. */
export function storeReader(sources: ReaderSources): ObjectReader {
  return {
    async get(group, plural, namespace, name) {
      const registry = sources.registryOf(group, plural);
      const kv = registry && (await sources.store.get(registry.key(namespace, name)));
      return kv ? decodeObject(kv) : undefined;
    },
    async list(group, plural, namespace) {
      const registry = sources.registryOf(group, plural);
      if (!registry) return [];
      const page = await sources.store.list(listPrefix(registry.def, namespace));
      return page.items.map((kv) => decodeObject<KubeObject>(kv));
    },
  };
}

/** Reads from the watch cache first, the store when the cache cannot answer. Objects are shared: never change them. */
export function cachedReader(sources: ReaderSources): ObjectReader {
  const live = storeReader(sources);
  // The resource's registry and cache, looked up once per read (admission reads on every create that asks).
  const cached = (group: string, plural: string) => {
    const registry = sources.registryOf(group, plural);
    const cacher = registry && sources.cacherOf?.(registry);
    return registry && cacher ? { registry, cacher } : undefined;
  };
  return {
    async get(group, plural, namespace, name) {
      const from = cached(group, plural);
      const kv = from?.cacher.current(from.registry.key(namespace, name));
      return kv ? objectOf(kv) : live.get(group, plural, namespace, name);
    },
    async list(group, plural, namespace) {
      const items = cached(group, plural)?.cacher.currentList(namespace);
      return items ? items.map(objectOf) : live.list(group, plural, namespace);
    },
  };
}
