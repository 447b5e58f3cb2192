// A hook holding one resource's objects, kept live by list+watch (no polling), keyed by namespace/name.
import { useEffect, useState } from "preact/hooks";
import { listAndWatch } from "./watch.js";

interface Named {
  metadata: { name?: string; namespace?: string };
}

const keyOf = (o: Named) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`;

export function useLiveObjects<T extends Named>(path: string | undefined): T[] {
  const [objects, setObjects] = useState<T[]>([]);
  useEffect(() => {
    if (!path) return;
    const abort = new AbortController();
    let byKey = new Map<string, T>();
    const publish = () => setObjects([...byKey.values()]);
    void listAndWatch<{ items?: T[] }, T>(
      path,
      "application/json",
      {
        listed: (list) => {
          byKey = new Map((list.items ?? []).map((o) => [keyOf(o), o]));
          publish();
        },
        event: (event) => {
          if (event.type === "DELETED") byKey.delete(keyOf(event.object));
          else byKey.set(keyOf(event.object), event.object);
          publish();
        },
        // a refused list (RBAC) leaves the view empty; the views say what they could not read
        failed: () => undefined,
      },
      abort.signal,
    );
    return () => abort.abort();
  }, [path]);
  return objects;
}
