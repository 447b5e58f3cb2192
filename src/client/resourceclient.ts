// One generic client per resource: REST verbs as Kubernetes defines them, typed by the resource's object.
// Namespaced and cluster-scoped resources differ only in where the namespace comes from; both share Rest<T>.
import type { ApiRequest, HttpMethod } from "../api/http.js";
import type { LabelSelector, ListMeta, Status } from "../api/meta.js";
import type { List } from "../api/core/types.js";
import type { KubeObject } from "../api/meta.js";
import { ApiError, isStatus } from "./errors.js";
import type { ResourceDescriptor } from "./resources.js";
import { apiPrefixOf, apiVersionOf } from "./resources.js";
import type { Transport } from "./transport.js";
import type { WatchEvent } from "./wire.js";
import { encodeJson, formatLabelSelector, jsonLines, readJson, toWatchEvent } from "./wire.js";

export type { WatchEvent, WatchEventType } from "./wire.js";

/** An object as sent on create/update: apiVersion and kind are filled in from the resource when missing. */
export type Writable<T extends KubeObject> = Omit<T, "apiVersion" | "kind"> & {
  apiVersion?: T["apiVersion"];
  kind?: T["kind"];
};

export interface ListOptions {
  /** Namespaced resources only; omitted = all namespaces. */
  namespace?: string;
  labelSelector?: string | LabelSelector | Record<string, string>;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
  signal?: AbortSignal;
}

export interface WatchOptions extends Omit<ListOptions, "limit" | "continue" | "resourceVersionMatch"> {
  /** Ask for BOOKMARK events (default true): they keep a quiet watch's resourceVersion fresh. */
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type PatchType = "json" | "merge" | "strategic";

export interface PatchOptions extends WriteOptions {
  /** e.g. "status" to patch …/status. */
  subresource?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
  signal?: AbortSignal;
}

export type ObjectList<T> = List<T> & { metadata: ListMeta };

const patchContentType: Record<PatchType, string> = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

/** The verbs with an explicit namespace argument (undefined for cluster-scoped); the facades below fix it. */
export class Rest<T extends KubeObject> {
  constructor(
    readonly transport: Transport,
    readonly resource: ResourceDescriptor<T>,
    private readonly userAgent: string,
  ) {}

  private path(namespace: string | undefined, name?: string, subresource?: string): string {
    const r = this.resource;
    if (!r.namespaced && namespace) {
      throw new TypeError(`${r.plural} are cluster-scoped; no namespace may be given (got "${namespace}")`);
    }
    if (r.namespaced && name !== undefined && !namespace) {
      throw new TypeError(`${r.plural} are namespaced; a namespace is required for "${name}"`);
    }
    let path = apiPrefixOf(r);
    if (namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    path += `/${r.plural}`;
    if (name !== undefined) {
      if (!name) throw new TypeError(`a ${r.kind} name is required`);
      path += `/${encodeURIComponent(name)}`;
    }
    if (subresource) path += `/${subresource}`;
    return path;
  }

  private async call(
    method: HttpMethod,
    path: string,
    query: URLSearchParams,
    body: unknown,
    contentType: string,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const request: ApiRequest = {
      method,
      path,
      query,
      headers: { accept: "application/json", "user-agent": this.userAgent },
      signal,
    };
    if (body !== undefined) {
      request.body = encodeJson(body);
      request.headers["content-type"] = contentType;
    }
    return readJson(await this.transport(request));
  }

  private complete(object: Writable<T>): T {
    return {
      ...object,
      apiVersion: object.apiVersion ?? apiVersionOf(this.resource),
      kind: object.kind ?? this.resource.kind,
    } as T;
  }

  private expectObject(value: unknown, verb: string): T {
    if (typeof value !== "object" || value === null || isStatus(value)) {
      throw new ApiError(0, "Unknown", `${verb} ${this.resource.plural}: the server did not answer with an object`);
    }
    return value as T;
  }

  async get(namespace: string | undefined, name: string, options: { signal?: AbortSignal } = {}): Promise<T> {
    const value = await this.call(
      "GET",
      this.path(namespace, name),
      new URLSearchParams(),
      undefined,
      "",
      options.signal,
    );
    return this.expectObject(value, "get");
  }

  async list(options: ListOptions = {}): Promise<ObjectList<T>> {
    const value = await this.call(
      "GET",
      this.path(options.namespace),
      listQuery(options),
      undefined,
      "",
      options.signal,
    );
    if (typeof value !== "object" || value === null || !Array.isArray((value as { items?: unknown }).items)) {
      throw new ApiError(0, "Unknown", `list ${this.resource.plural}: the server did not answer with a list`);
    }
    const list = value as ObjectList<T>;
    // Items of a list carry no apiVersion/kind on the wire in upstream; fill them so every cached object is whole.
    const apiVersion = apiVersionOf(this.resource);
    for (const item of list.items) {
      if (!item.apiVersion) (item as KubeObject).apiVersion = apiVersion;
      if (!item.kind) (item as KubeObject).kind = this.resource.kind;
    }
    list.metadata ??= {};
    return list;
  }

  /** Every page of a list (following `continue`), with the first page's resourceVersion. */
  async listAll(options: Omit<ListOptions, "continue"> = {}): Promise<ObjectList<T>> {
    const first = await this.list(options);
    let next = first.metadata.continue;
    while (next) {
      const page = await this.list({ ...options, continue: next });
      first.items.push(...page.items);
      next = page.metadata.continue;
    }
    delete first.metadata.continue;
    delete first.metadata.remainingItemCount;
    return first;
  }

  /**
   * Events after options.resourceVersion until the server ends the watch, the signal aborts, or the loop
   * breaks (which aborts the request). An ERROR event is thrown as ApiError (410 Gone: relist).
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const query = listQuery(options);
    query.set("watch", "true");
    if (options.allowWatchBookmarks ?? true) query.set("allowWatchBookmarks", "true");
    if (options.timeoutSeconds !== undefined) query.set("timeoutSeconds", String(options.timeoutSeconds));
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) controller.abort();
    try {
      let response;
      try {
        response = await this.transport({
          method: "GET",
          path: this.path(options.namespace),
          query,
          headers: { accept: "application/json", "user-agent": this.userAgent },
          signal: controller.signal,
        });
      } catch (err) {
        if (controller.signal.aborted) return; // stopped before the server answered: an empty watch
        throw err;
      }
      if (response.status !== 200) {
        await readJson(response); // throws the ApiError the body describes
        return;
      }
      const body =
        response.body instanceof Uint8Array ? singleChunk(response.body) : (response.body as AsyncIterable<Uint8Array>);
      try {
        for await (const line of jsonLines(body)) yield toWatchEvent<T>(line);
      } catch (err) {
        if (controller.signal.aborted && !(err instanceof ApiError)) return; // we hung up: not an error
        throw err;
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      controller.abort();
    }
  }

  async create(object: Writable<T>, options: WriteOptions = {}): Promise<T> {
    const full = this.complete(object);
    const namespace = this.resource.namespaced ? full.metadata.namespace : undefined;
    if (this.resource.namespaced && !namespace) {
      throw new TypeError(`${this.resource.plural} are namespaced; metadata.namespace is required to create one`);
    }
    const value = await this.call(
      "POST",
      this.path(namespace),
      writeQuery(options),
      full,
      "application/json",
      options.signal,
    );
    return this.expectObject(value, "create");
  }

  async update(object: Writable<T>, options: WriteOptions = {}, subresource?: string): Promise<T> {
    const full = this.complete(object);
    const namespace = this.resource.namespaced ? full.metadata.namespace : undefined;
    const name = full.metadata.name ?? "";
    const path = this.path(namespace, name, subresource);
    const value = await this.call("PUT", path, writeQuery(options), full, "application/json", options.signal);
    return this.expectObject(value, "update");
  }

  async patch(
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const path = this.path(namespace, name, options.subresource);
    const value = await this.call("PATCH", path, writeQuery(options), patch, patchContentType[type], options.signal);
    return this.expectObject(value, "patch");
  }

  /** The object as the server answered (finalizers pending: with deletionTimestamp), or undefined for a Status. */
  async delete(namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<T | undefined> {
    const value = await this.call(
      "DELETE",
      this.path(namespace, name),
      new URLSearchParams(),
      deleteBody(options),
      "application/json",
      options.signal,
    );
    return isStatus(value) ? undefined : (value as T);
  }

  async deleteCollection(options: ListOptions & DeleteOptions = {}): Promise<void> {
    const query = listQuery(options);
    await this.call(
      "DELETE",
      this.path(options.namespace),
      query,
      deleteBody(options),
      "application/json",
      options.signal,
    );
  }
}

async function* singleChunk(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

function listQuery(options: ListOptions): URLSearchParams {
  const query = new URLSearchParams();
  if (options.labelSelector !== undefined) {
    const text = formatLabelSelector(options.labelSelector);
    if (text) query.set("labelSelector", text);
  }
  if (options.fieldSelector) query.set("fieldSelector", options.fieldSelector);
  if (options.limit !== undefined) query.set("limit", String(options.limit));
  if (options.continue) query.set("continue", options.continue);
  if (options.resourceVersion !== undefined) query.set("resourceVersion", options.resourceVersion);
  if (options.resourceVersionMatch) query.set("resourceVersionMatch", options.resourceVersionMatch);
  return query;
}

function writeQuery(options: WriteOptions): URLSearchParams {
  const query = new URLSearchParams();
  if (options.fieldManager) query.set("fieldManager", options.fieldManager);
  if (options.dryRun) query.set("dryRun", "All");
  return query;
}

function deleteBody(options: DeleteOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { kind: "DeleteOptions", apiVersion: "v1" };
  if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
  if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
  if (options.preconditions) body.preconditions = options.preconditions;
  if (options.dryRun) body.dryRun = ["All"];
  return body;
}

/** A Status answer some verbs give instead of an object (kept for callers that want to look). */
export type { Status };
