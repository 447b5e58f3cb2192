// List with upstream's semantics: resourceVersion ("", "0", N with resourceVersionMatch), limit/continue
// pagination at one revision, remainingItemCount, and label/field selection that still fills each page.
import type { KubeObject } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import { CompactedError, FutureRevisionError } from "../../store/store.js";
import type { KeyValue, Store } from "../../store/store.js";
import { badRequest, gone, StatusError, tooOldResourceVersion } from "../errors.js";
import { decodeObject } from "./codec.js";
import { decodeContinue, encodeContinue } from "./continue.js";
import { listPrefix } from "./keys.js";
import { matches, selectsEverything, type Selection } from "./select.js";

export interface ListRequest {
  selection: Selection;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListPage {
  items: KeyValue[];
  /** Decoded objects when selection needed them (same order as items); otherwise decode lazily. */
  objects?: KubeObject[];
  /** Each item's JSON with its resourceVersion, when already made (the watch cache's shared bytes). */
  bytes?: Uint8Array[];
  revision: number;
  continue?: string;
  remainingItemCount?: number;
}

export function parseResourceVersion(text: string, what = "resourceVersion"): number {
  if (!/^\d+$/.test(text)) throw badRequest(`invalid ${what}: ${JSON.stringify(text)}`);
  return Number(text);
}

export async function listObjects(
  store: Store,
  def: ResourceDefinition,
  namespace: string | undefined,
  request: ListRequest,
): Promise<ListPage> {
  const prefix = listPrefix(def, namespace);
  const limit = request.limit && request.limit > 0 ? request.limit : undefined;
  let at: number | undefined;
  let after: string | undefined;
  let consumed = 0;
  const match = request.resourceVersionMatch;
  if (match && match !== "Exact" && match !== "NotOlderThan") {
    throw badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (request.continue) {
    if (request.resourceVersion) {
      throw badRequest("specifying resource version is not allowed when using continue");
    }
    const token = decodeContinue(request.continue);
    at = token.revision;
    after = prefix + token.after;
    consumed = token.consumed;
  } else if (request.resourceVersion && request.resourceVersion !== "0") {
    const rv = parseResourceVersion(request.resourceVersion);
    if (match === "Exact" || (!match && limit)) at = rv;
    else {
      const current = await store.currentRevision();
      if (rv > current) {
        throw new StatusError(504, "Timeout", `Too large resource version: ${rv}, current: ${current}`, {
          causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
          retryAfterSeconds: 1,
        });
      }
    }
  } else if (match === "Exact") {
    throw badRequest(
      `resourceVersionMatch "Exact" is forbidden for resourceVersion "${request.resourceVersion ?? ""}"`,
    );
  }

  const selective = !selectsEverything(request.selection);
  const items: KeyValue[] = [];
  const objects: KubeObject[] = [];
  let revision = 0;
  let more = false;
  let last: string | undefined;
  try {
    do {
      const want = limit ? limit - items.length : undefined;
      const page = await store.list(prefix, { limit: want, after, at });
      revision = page.revision;
      at = page.revision; // every further page at the same revision
      more = page.more;
      for (const kv of page.items) {
        last = kv.key;
        if (selective) {
          const object = decodeObject(kv);
          if (!matches(def, request.selection, object)) continue;
          objects.push(object);
        }
        items.push(kv);
      }
      after = last;
    } while (limit && more && items.length < limit);
  } catch (err) {
    if (err instanceof CompactedError) {
      if (request.continue) {
        throw gone(
          "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
        );
      }
      throw tooOldResourceVersion(err.requested, err.compacted + 1);
    }
    if (err instanceof FutureRevisionError) {
      throw new StatusError(504, "Timeout", `Too large resource version: ${err.requested}, current: ${err.current}`, {
        causes: [{ reason: "ResourceVersionTooLarge", message: "Too large resource version" }],
        retryAfterSeconds: 1,
      });
    }
    throw err;
  }
  const result: ListPage = { items, revision };
  if (selective) result.objects = objects;
  if (more && last) {
    consumed += items.length;
    result.continue = encodeContinue({ revision, after: last.slice(prefix.length), consumed });
    if (!selective) {
      const total = await store.count(prefix);
      result.remainingItemCount = Math.max(0, total - consumed);
    }
  }
  return result;
}
