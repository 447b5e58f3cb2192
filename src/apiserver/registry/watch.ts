// Watch with upstream's semantics: resourceVersion unset or "0" starts with a synthetic ADDED per existing
// object (then live events); N resumes after revision N; selection turns an object leaving the selector into
// DELETED and one entering into ADDED (upstream's cacher); a compacted start becomes an ERROR 410 event.
import type { KubeObject, Status } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import { CompactedError } from "../../store/store.js";
import type { KeyValue, Store } from "../../store/store.js";
import { StatusError, tooOldResourceVersion } from "../errors.js";
import { decodeObject } from "./codec.js";
import { listPrefix } from "./keys.js";
import { parseResourceVersion } from "./list.js";
import { matches, selectsEverything, type Selection } from "./select.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface ObjectEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  /** The stored bytes and the event's revision (resourceVersion to report). */
  value: Uint8Array;
  revision: number;
  /** Decoded when selection needed it. */
  object?: KubeObject;
  /** The JSON watch event line, when already made: one encoding shared by every watcher (the watch cache). */
  line?: Uint8Array;
}
export interface BookmarkEvent {
  type: "BOOKMARK";
  revision: number;
  /** The bookmark that ends sendInitialEvents' synthetic ADDED events. */
  initialEventsEnd?: boolean;
  /** Not sent: tells the stream where the watch starts, so that its periodic bookmarks carry at least that. */
  startMarker?: boolean;
}
export interface ErrorEvent {
  type: "ERROR";
  status: Status;
}
export type RegistryWatchEvent = ObjectEvent | BookmarkEvent | ErrorEvent;

export interface WatchRequest {
  selection: Selection;
  resourceVersion?: string;
  sendInitialEvents?: boolean;
  signal: AbortSignal;
}

export async function* watchObjects(
  store: Store,
  def: ResourceDefinition,
  namespace: string | undefined,
  request: WatchRequest,
): AsyncGenerator<RegistryWatchEvent> {
  const prefix = listPrefix(def, namespace);
  const selective = !selectsEverything(request.selection);
  const test = (kv: KeyValue): KubeObject | undefined => {
    const object = decodeObject(kv);
    return matches(def, request.selection, object) ? object : undefined;
  };
  const rvText = request.resourceVersion ?? "";
  let from: number;
  if (rvText === "" || rvText === "0" || request.sendInitialEvents) {
    // The current state first, as ADDED events, at one revision; then everything after it.
    const page = await store.list(prefix);
    from = page.revision;
    for (const kv of page.items) {
      if (request.signal.aborted) return;
      const object = selective ? test(kv) : undefined;
      if (selective && !object) continue;
      yield { type: "ADDED", value: kv.value, revision: kv.modRevision, object };
    }
    if (request.sendInitialEvents) yield { type: "BOOKMARK", revision: from, initialEventsEnd: true };
  } else {
    from = parseResourceVersion(rvText);
    const current = await store.currentRevision();
    if (from > current) {
      throw new StatusError(504, "Timeout", `Too large resource version: ${from}, current: ${current}`, {
        causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
        retryAfterSeconds: 1,
      });
    }
  }
  yield { type: "BOOKMARK", revision: from, startMarker: true };
  try {
    for await (const event of store.watch(prefix, from, request.signal)) {
      if (event.type === "progress") {
        // not sent: it moves the revision the stream's periodic bookmarks carry (etcd's progress notify)
        yield { type: "BOOKMARK", revision: event.revision, startMarker: true };
        continue;
      }
      if (event.type === "delete") {
        const last = event.prev ?? event.kv;
        if (selective && !test(last)) continue;
        yield { type: "DELETED", value: event.kv.value, revision: event.kv.modRevision };
        continue;
      }
      if (!selective) {
        yield { type: event.prev ? "MODIFIED" : "ADDED", value: event.kv.value, revision: event.kv.modRevision };
        continue;
      }
      const now = test(event.kv);
      const before = event.prev ? test(event.prev) : undefined;
      if (now && before) yield { type: "MODIFIED", value: event.kv.value, revision: event.kv.modRevision, object: now };
      else if (now) yield { type: "ADDED", value: event.kv.value, revision: event.kv.modRevision, object: now };
      else if (before) yield { type: "DELETED", value: event.prev!.value, revision: event.kv.modRevision };
    }
  } catch (err) {
    if (err instanceof CompactedError) {
      yield { type: "ERROR", status: tooOldResourceVersion(err.requested, err.compacted + 1).toStatus() };
      return;
    }
    throw err;
  }
}
