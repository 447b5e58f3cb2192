// One informer per resource, shared by every controller in the process: one list+watch and one cache per
// resource however many loops read it (client-go's SharedInformerFactory). Informers are made on first use;
// those asked for after start() start at once.
import type { KubeObject } from "../api/meta.js";
import type { Client, ResourceClient } from "./client.js";
import type { InformerOptions } from "./informer.js";
import { Informer } from "./informer.js";
import type { ResourceDescriptor } from "./resources.js";
import { resources } from "./resources.js";

type Table = typeof resources;
type ObjectOf<D> = D extends ResourceDescriptor<infer T, boolean> ? T : never;

/** factory.persistentVolumeClaims etc.: the shared informer of each resource in the client's table. */
export type SharedInformers = { readonly [K in keyof Table]: Informer<ObjectOf<Table[K]>> };

export type InformerFactory = SharedInformers & {
  /** The shared informer of any resource client (e.g. one made with client.resource(descriptor)). */
  informerFor<T extends KubeObject>(client: ResourceClient<T>): Informer<T>;
  /** Starts every informer made so far, and any made later, until the signal aborts. */
  start(signal: AbortSignal): void;
  /** True once every informer made so far has synced; false if the signal aborted first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
};

export type InformerFactoryOptions = Omit<InformerOptions, "labelSelector" | "fieldSelector">;

export function createInformerFactory(client: Client, options: InformerFactoryOptions = {}): InformerFactory {
  const informers = new Map<string, Informer<KubeObject>>();
  let startedWith: AbortSignal | undefined;

  const informerFor = <T extends KubeObject>(resourceClient: ResourceClient<T>): Informer<T> => {
    const { group, version, plural } = resourceClient.resource;
    const id = `${group}/${version}/${plural}`;
    let informer = informers.get(id) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(resourceClient, options);
      informers.set(id, informer as unknown as Informer<KubeObject>);
      if (startedWith && !startedWith.aborted) void informer.run(startedWith);
    }
    return informer;
  };

  const factory = {
    informerFor,
    start(signal: AbortSignal): void {
      startedWith = signal;
      for (const informer of informers.values()) void informer.run(signal);
    },
    async waitForSync(signal?: AbortSignal): Promise<boolean> {
      const results = await Promise.all([...informers.values()].map((informer) => informer.waitForSync(signal)));
      return results.every(Boolean);
    },
  };
  for (const name of Object.keys(resources) as (keyof Table)[]) {
    Object.defineProperty(factory, name, {
      enumerable: true,
      get: () => informerFor(client[name] as unknown as ResourceClient<KubeObject>),
    });
  }
  return factory as InformerFactory;
}
