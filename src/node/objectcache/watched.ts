// Objects a node may read only by name (Secrets, ConfigMaps: the Node authorizer allows get, and list+watch with the
// single-object fieldSelector metadata.name=<name>, of those a pod on this node names), kept as upstream kubelet's
// watch-based manager keeps them (pkg/kubelet/util/manager/watch_based_manager.go): one list+watch per object that
// some pod here needs, started when the first such pod registers and stopped when the last one goes. A change
// arrives as a watch event, so a configMap volume follows its object as promptly as with a cluster-wide informer.
import type { KubeObject } from "../../api/meta.js";
import { Informer, splitKey, type NamespacedResourceClient } from "../../client/index.js";
import type { ObjectReader } from "./reader.js";

export interface WatchedObjectsOptions<T extends KubeObject> {
  client: NamespacedResourceClient<T>;
  /** "configmap" or "secret": upstream's word in "failed to sync configmap cache". */
  kind: string;
  /** How long ready() waits for a watch's first list (default 2 s). */
  syncTimeoutMs?: number;
  log(message: string, err?: unknown): void;
}

interface Watch<T extends KubeObject> {
  informer: Informer<T>;
  abort: AbortController;
  /** The pods (UIDs) that need it. */
  owners: Set<string>;
}

export class WatchedObjects<T extends KubeObject> implements ObjectReader<T> {
  private readonly watches = new Map<string, Watch<T>>();
  /** pod UID → the keys it needs */
  private readonly needs = new Map<string, string[]>();
  private readonly handlers = new Set<(key: string) => void>();
  private stopped = false;

  constructor(private readonly options: WatchedObjectsOptions<T>) {}

  /**
   * The pod with this UID now needs exactly these keys ("namespace/name"): a watch starts for each key no pod
   * needed before, and stops for each key no pod needs any more. [] forgets the pod.
   */
  setNeeds(owner: string, keys: string[]): void {
    if (this.stopped) return;
    const before = this.needs.get(owner) ?? [];
    if (keys.length > 0) this.needs.set(owner, keys);
    else this.needs.delete(owner);
    for (const key of keys) this.watchOf(key).owners.add(owner);
    for (const key of before) if (!keys.includes(key)) this.release(key, owner);
  }

  /** The pods that need something watched. */
  owners(): string[] {
    return [...this.needs.keys()];
  }

  get(key: string): T | undefined {
    return this.watches.get(key)?.informer.get(key);
  }

  async ready(key: string, signal?: AbortSignal): Promise<void> {
    const watch = this.watches.get(key);
    if (!watch || watch.informer.hasSynced()) return;
    const timeout = AbortSignal.timeout(this.options.syncTimeoutMs ?? 2000);
    const synced = await watch.informer.waitForSync(signal ? AbortSignal.any([signal, timeout]) : timeout);
    if (!synced && !signal?.aborted && !watch.abort.signal.aborted) {
      // watch_based_manager.go's wording, as the kubelet's FailedMount event shows it.
      throw new Error(`failed to sync ${this.options.kind} cache: timed out waiting for the condition`);
    }
  }

  /** Called with the key whenever its object is added, changed or deleted. */
  onChange(handler: (key: string) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Every watch ends; nothing starts again. */
  stop(): void {
    this.stopped = true;
    for (const watch of this.watches.values()) watch.abort.abort();
    this.watches.clear();
    this.needs.clear();
  }

  private watchOf(key: string): Watch<T> {
    let watch = this.watches.get(key);
    if (watch) return watch;
    const { namespace, name } = splitKey(key);
    const { kind, log } = this.options;
    const informer = new Informer<T>(this.options.client, {
      namespace,
      // The one selector the Node authorizer lets a node list and watch by (attributes.ts singleName).
      fieldSelector: `metadata.name=${name}`,
      log: (message, fields) => log(`watching ${kind} ${key}: ${message} ${JSON.stringify(fields)}`),
    });
    informer.onChange(() => {
      for (const handler of [...this.handlers]) handler(key);
    });
    watch = { informer, abort: new AbortController(), owners: new Set() };
    this.watches.set(key, watch);
    void informer.run(watch.abort.signal);
    return watch;
  }

  private release(key: string, owner: string): void {
    const watch = this.watches.get(key);
    if (!watch) return;
    watch.owners.delete(owner);
    if (watch.owners.size > 0) return;
    watch.abort.abort();
    this.watches.delete(key);
  }
}
