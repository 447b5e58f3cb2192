// How the volume manager, the plugins and the runtime read the API objects a pod needs: one object by key, from a
// cache the agent keeps current. A node may not list claims, volumes, attachments, configMaps or secrets cluster-
// wide (the Node authorizer), so these caches hold only what this node's pods name (objectcache/nodeobjects.ts);
// an informer's Lister satisfies the same interface where no such limit applies (tests, CSIDrivers).

export interface ObjectReader<T> {
  /** The object by key ("namespace/name", or the name of a cluster-scoped object); undefined when absent or not read yet. */
  get(key: string): T | undefined;
  /**
   * Resolves once the cache has heard from the API about the key (a watched object's first list), so that
   * undefined from get() means "does not exist" rather than "not read yet"; rejects after a bounded wait with
   * upstream's "failed to sync … cache" error. Without it, get() is always current (an informer's cache).
   */
  ready?(key: string, signal?: AbortSignal): Promise<void>;
  /**
   * Reads the key from the API now and resolves with what it found (the kubelet GETs a new pod's claims as it
   * processes them). Without it, get() is always current.
   */
  fresh?(key: string): Promise<T | undefined>;
}
