// Keeps an in-memory view (the RBAC policy cache, the Node authorizer's graph) current from the apiserver's own
// store: a list, then a watch from the list's revision; a watch that ends (compaction, a store hiccup) relists.
// The apiserver owns the store, so this is the one place authorization reads it.
import type { KubeObject } from "../../api/meta.js";
import type { Store } from "../../store/store.js";
import { decodeObject } from "../registry/codec.js";

export type Apply = (object: KubeObject, deleted: boolean) => void;

/** Feeds `apply` every object under `prefix` until the signal aborts; resolves once the first list is in. */
export function feedFromStore(
  store: Store,
  prefix: string,
  apply: Apply,
  signal: AbortSignal,
  log: (message: string, err?: unknown) => void,
): Promise<void> {
  let markSynced!: () => void;
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  void (async () => {
    while (!signal.aborted) {
      try {
        const page = await store.list(prefix);
        for (const kv of page.items) apply(decodeObject(kv), false);
        markSynced();
        for await (const event of store.watch(prefix, page.revision, signal)) {
          if (event.type === "progress") continue;
          if (event.type === "put") apply(decodeObject(event.kv), false);
          else if (event.prev) apply(decodeObject(event.prev), true);
        }
      } catch (err) {
        if (signal.aborted) return;
        log(`authorization cache of ${prefix}: relisting after`, err);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  })();
  return synced;
}
