// For the end-to-end benches: each object of a resource handed to `onObject` whenever it is added or changes, from
// an informer (list, then watch; relisted when the watch ends early, e.g. 410 after compaction), so a stage reached
// between two events is never missed.
import type { KubeObject } from "../src/api/meta.js";
import { Informer, type ResourceClient } from "../src/client/index.js";

export async function follow<T extends KubeObject>(
  client: ResourceClient<T>,
  signal: AbortSignal,
  onObject: (object: T) => void,
): Promise<void> {
  const informer = new Informer<T>(client, { resyncPeriodMs: 0, log: () => undefined });
  informer.onAdd(onObject);
  informer.onUpdate((_old, object) => onObject(object));
  void informer.run(signal);
  await informer.waitForSync(signal);
}
