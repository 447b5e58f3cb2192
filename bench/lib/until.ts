// Waiting on the API for the event that proves a step: a list, then a watch from the list's resourceVersion, counting
// the objects that hold a condition. A watch that breaks (410 after compaction, a dropped stream) relists instead of
// waiting forever, and the whole wait has a deadline (BenchTimeout). Only names are kept, not objects, so a wait over
// 100,000 claims adds little to the memory figure of the process it runs in.
import type { KubeObject } from "../../src/api/meta.js";
import type { ListOptions, ResourceClient } from "../../src/client/index.js";
import { within } from "./wait.js";

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

/** Resolves once at least `want` objects of `client` (within `options`' namespace) satisfy `holds`. */
export async function untilCount<T extends KubeObject>(
  client: ResourceClient<T>,
  holds: (object: T) => boolean,
  want: number,
  deadline: { ms: number; what: string },
  options: Pick<ListOptions, "namespace" | "labelSelector"> = {},
): Promise<void> {
  const abort = new AbortController();
  const counting = (async () => {
    // Past the deadline the watch below ends at once on the aborted signal: stop, rather than relist for ever.
    while (!abort.signal.aborted) {
      const names = new Set<string>();
      const list = await client.listAll(options);
      for (const o of list.items) if (holds(o)) names.add(keyOf(o));
      if (names.size >= want) return;
      try {
        const events = client.watch({
          ...options,
          resourceVersion: list.metadata.resourceVersion,
          signal: abort.signal,
        });
        for await (const event of events) {
          if (event.type === "BOOKMARK") continue;
          if (event.type !== "DELETED" && holds(event.object)) names.add(keyOf(event.object));
          else names.delete(keyOf(event.object));
          if (names.size >= want) return;
        }
      } catch (err) {
        if (abort.signal.aborted) throw err;
        // The watch broke (e.g. 410 Gone): relist below rather than trust a count that may have missed events.
      }
    }
  })();
  try {
    await within(deadline.ms, deadline.what, counting);
  } finally {
    abort.abort();
    counting.catch(() => undefined);
  }
}
