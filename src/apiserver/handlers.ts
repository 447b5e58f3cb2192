// The resource endpoints: one function per verb, from a parsed request to a response. Parsing of query and
// body happens here, once; the registry works on typed options.
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { KubeObject } from "../api/meta.js";
import { badRequest, entityTooLarge, methodNotSupported, StatusError } from "./errors.js";
import { checkObject, decodeObjectBody, maxBodyBytes, parseBody, parseFieldValidation } from "./decode.js";
import { decodeProtobufObject } from "./protobuf.js";
import { handleScale, hasScale } from "./scale.js";
import { createServiceAccountToken, type TokenRequestContext } from "./tokenrequest.js";
import type { ResourceDefinition } from "../api/resource.js";
import { bodyType, negotiate, type Representation } from "./media.js";
import { applyObject, fieldManagerOf, parseForce } from "./applying.js";
import { patchObject, patchTypeOf } from "./patching.js";
import type { GenericRegistry } from "./registry/generic.js";
import { listObjects, parseResourceVersion } from "./registry/list.js";
import type { DeleteOptions, WriteOptions } from "./registry/options.js";
import { parseBool, parseDeleteOptions, parseDryRun, parseIntParam, parseTimeout } from "./query.js";
import { parseSelection } from "./registry/select.js";
import type { Cacher } from "./watchcache/cacher.js";
import { serveList, serveWatch } from "./watchcache/serve.js";
import { jsonResponse, listResponse, objectResponse, successStatus, type Output } from "./respond.js";
import { watchStream } from "./stream.js";
import type { ResourcePath } from "./route.js";
import type { AuditEvent } from "./audit.js";

export interface HandlerContext {
  log: (message: string, err: unknown) => void;
  /** Called after a namespace is marked for deletion, to start removing its content. */
  namespaceDeleted(): void;
  bookmarkIntervalMs?: number;
  /** Where an audit log would take a write's audit annotations (see audit.ts). */
  audit?(event: AuditEvent): void;
  /** serviceaccounts/{name}/token; without it (no ServiceAccount signing key) the subresource is not served. */
  tokenRequests?: TokenRequestContext;
  /** The resource's watch cache, which answers its lists and watches when it can (watchcache/). */
  cacherOf?(registry: GenericRegistry): Cacher | undefined;
}

function outputFor(request: ApiRequest, allowTable: boolean): Output {
  const { representation, yaml } = negotiate(request.headers["accept"], allowTable);
  const include = request.query.get("includeObject") ?? "";
  if (include !== "" && include !== "None" && include !== "Metadata" && include !== "Object") {
    throw badRequest(`includeObject: Unsupported value: "${include}": supported values: "Metadata", "None", "Object"`);
  }
  return {
    representation: representation as Representation,
    yaml,
    includeObject: (include || "Metadata") as Output["includeObject"],
    warnings: [],
  };
}

/** One request for a resource, as every verb's handler sees it. */
interface ResourceCall {
  request: ApiRequest;
  registry: GenericRegistry;
  def: ResourceDefinition;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
  output: Output;
  ctx: HandlerContext;
  /** What admission learns of the request and leaves for the response: user, warnings, audit annotations. */
  scope: Omit<WriteOptions, "dryRun">;
}

/** A write's options: ?dryRun, and the request's scope for admission. */
const writeOptions = (call: ResourceCall): WriteOptions => ({
  dryRun: parseDryRun(call.request.query),
  fieldManager: fieldManagerOf(call.request),
  ...call.scope,
});

export async function handleResource(
  request: ApiRequest,
  path: ResourcePath,
  registry: GenericRegistry,
  ctx: HandlerContext,
): Promise<ApiResponse> {
  const def = registry.def;
  const namespace = def.namespaced ? path.namespace : undefined;
  const { name, subresource } = path;
  checkResourcePath(registry, path);
  if (subresource === "scale" && name !== undefined) {
    const options = { dryRun: parseDryRun(request.query), user: request.user };
    const validation = parseFieldValidation(request.query.get("fieldValidation"));
    return jsonResponse(200, await handleScale(request, registry, namespace, name, options, validation));
  }
  if (subresource === "token" && name !== undefined && namespace !== undefined) {
    if (!ctx.tokenRequests) throw notFound();
    if (request.method !== "POST") throw methodNotSupported(registry.resource, request.method.toLowerCase());
    const created = await createServiceAccountToken(request, registry, namespace, name, ctx.tokenRequests);
    return jsonResponse(201, created, outputFor(request, false));
  }
  const isWatch = path.watchPath || parseBool(request.query, "watch");
  // upstream's request-deadline filter reads ?timeout on every request but a watch (which has timeoutSeconds);
  // ours finish well inside any deadline, so only a malformed one changes the answer
  if (!isWatch) parseTimeout(request.query);
  const output = outputFor(request, true);
  const scope = { user: request.user, warnings: output.warnings, auditAnnotations: {} };
  const call: ResourceCall = { request, registry, def, namespace, name, subresource, output, ctx, scope };
  try {
    return await dispatch(call, isWatch);
  } finally {
    if (Object.keys(scope.auditAnnotations).length) {
      ctx.audit?.({
        user: request.user,
        method: request.method,
        path: request.path,
        annotations: scope.auditAnnotations,
      });
    }
  }
}

async function dispatch(call: ResourceCall, isWatch: boolean): Promise<ApiResponse> {
  const { request, registry, def, namespace, name } = call;
  switch (request.method) {
    case "GET":
      if (name !== undefined && !isWatch)
        return objectResponse(def, 200, await registry.get(namespace, name), call.output);
      return isWatch ? watchResource(call) : listResource(call);
    case "POST":
      return createResource(call);
    case "PUT":
      return updateResource(call);
    case "PATCH":
      return patchResource(call);
    case "DELETE":
      return deleteResource(call);
  }
}

const notFound = () => new StatusError(404, "NotFound", "the server could not find the requested resource");

/** 404 for a namespace on a cluster-scoped resource, or a subresource this resource does not have. */
function checkResourcePath(registry: GenericRegistry, path: ResourcePath): void {
  const def = registry.def;
  if (!def.namespaced && path.namespace) throw notFound();
  const allowedSubresources = [
    ...(def.hasStatus ? ["status"] : []),
    ...(def.plural === "namespaces" && def.group === "" ? ["finalize"] : []),
    ...(def.plural === "pods" && def.group === "" ? ["binding"] : []),
    ...(hasScale(registry) ? ["scale"] : []),
    ...(def.plural === "serviceaccounts" && def.group === "" ? ["token"] : []),
  ];
  if (path.subresource !== undefined && !allowedSubresources.includes(path.subresource)) throw notFound();
}

/** The label and field selectors of a list or watch; GET …/watch/…/{name} narrows a watch to one object. */
function selectionOf({ def, request, name }: ResourceCall) {
  const query = request.query;
  const selection = parseSelection(def, query.get("labelSelector"), query.get("fieldSelector"));
  if (name !== undefined) {
    const field = `metadata.name=${name}`;
    const fieldText = query.get("fieldSelector");
    Object.assign(selection, parseSelection(def, null, fieldText ? `${fieldText},${field}` : field));
  }
  return selection;
}

async function listResource(call: ResourceCall): Promise<ApiResponse> {
  const { def, registry, namespace, request } = call;
  const query = request.query;
  const page = await serveList(call.ctx.cacherOf?.(registry), registry.store, def, namespace, {
    selection: selectionOf(call),
    limit: parseIntParam(query, "limit"),
    continue: query.get("continue") || undefined,
    resourceVersion: query.get("resourceVersion") ?? undefined,
    resourceVersionMatch: query.get("resourceVersionMatch") || undefined,
  });
  return listResponse(def, page, call.output);
}

function watchResource(call: ResourceCall): ApiResponse {
  const { def, registry, namespace, request, ctx } = call;
  const query = request.query;
  const selection = selectionOf(call);
  const resourceVersion = query.get("resourceVersion") ?? undefined;
  const sendInitialEvents = query.has("sendInitialEvents") ? parseBool(query, "sendInitialEvents") : undefined;
  if (sendInitialEvents !== undefined && query.get("resourceVersionMatch") !== "NotOlderThan") {
    throw badRequest(
      'sendInitialEvents: Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to "NotOlderThan"',
    );
  }
  if (resourceVersion && resourceVersion !== "0") parseResourceVersion(resourceVersion);
  const timeoutSeconds = parseIntParam(query, "timeoutSeconds");
  const stream = watchStream({
    def,
    output: call.output,
    allowBookmarks: parseBool(query, "allowWatchBookmarks"),
    timeoutSeconds,
    bookmarkIntervalMs: ctx.bookmarkIntervalMs,
    // sound for in-process stores (memory, SQLite), which publish events as they advance the revision; etcd's
    // watch brings its own progress notifications instead (a current revision may still have events in flight)
    progress: registry.store.reportsProgress ? undefined : () => registry.store.currentRevision(),
    signal: request.signal,
    log: ctx.log,
    events: (signal) =>
      serveWatch(ctx.cacherOf?.(registry), registry.store, def, namespace, {
        selection,
        resourceVersion,
        sendInitialEvents,
        signal,
      }),
  });
  const headers: Record<string, string> = { "content-type": "application/json", "transfer-encoding": "chunked" };
  return { status: 200, headers, body: stream };
}

async function createResource(call: ResourceCall): Promise<ApiResponse> {
  const { def, registry, namespace, name, request, output } = call;
  if (call.subresource === "binding" && name)
    return bindPod(request, registry, namespace, name, output, writeOptions(call));
  if (name !== undefined) throw methodNotSupported(registry.resource, "create");
  const validation = parseFieldValidation(request.query.get("fieldValidation"));
  const type = bodyType(request.headers["content-type"]);
  if (type !== "json" && type !== "yaml" && type !== "protobuf") throw unsupportedBody(request);
  const decoded =
    type === "protobuf"
      ? decodeProtobufBody(def, request)
      : decodeObjectBody(def, request.body, type === "yaml", validation);
  output.warnings.push(...decoded.warnings);
  const created = await registry.create(namespace, decoded.object, writeOptions(call));
  return objectResponse(def, 201, created, output);
}

async function updateResource(call: ResourceCall): Promise<ApiResponse> {
  const { def, registry, namespace, name, request, output } = call;
  if (name === undefined) throw methodNotSupported(registry.resource, "update");
  const validation = parseFieldValidation(request.query.get("fieldValidation"));
  const type = bodyType(request.headers["content-type"]);
  if (type !== "json" && type !== "yaml") throw unsupportedBody(request);
  const decoded = decodeObjectBody(def, request.body, type === "yaml", validation);
  output.warnings.push(...decoded.warnings);
  const subresource = (call.subresource ?? "") as "" | "status" | "finalize";
  const updated = await registry.update(namespace, name, decoded.object, writeOptions(call), subresource);
  return objectResponse(def, 200, updated, output);
}

async function patchResource(call: ResourceCall): Promise<ApiResponse> {
  const { def, registry, name, request, subresource } = call;
  if (name === undefined) throw methodNotSupported(registry.resource, "patch");
  if (subresource === "finalize" || subresource === "binding") throw methodNotSupported(registry.resource, "patch");
  const validation = parseFieldValidation(request.query.get("fieldValidation"));
  const contentType = request.headers["content-type"] ?? "";
  const type = bodyType(contentType);
  if (type === "apply-patch") {
    const applied = await applyObject(registry, {
      namespace: call.namespace,
      name,
      body: request.body,
      options: writeOptions(call),
      subresource: (subresource ?? "") as "" | "status",
      force: parseForce(request.query),
      fieldManager: request.query.get("fieldManager"),
      validation,
      warnings: call.output.warnings,
    });
    return objectResponse(def, applied.created ? 201 : 200, applied.object, call.output);
  }
  const body = patchTypeOf(type) ? parseBody(request.body, false) : undefined;
  const patched = await patchObject(
    registry,
    call.namespace,
    name,
    type,
    contentType,
    body,
    writeOptions(call),
    (subresource ?? "") as "" | "status",
    validation,
    call.output.warnings,
  );
  return objectResponse(def, 200, patched, call.output);
}

async function deleteResource(call: ResourceCall): Promise<ApiResponse> {
  const { def, registry, namespace, name, request, output, ctx } = call;
  const options: DeleteOptions = { ...parseDeleteOptions(request), ...call.scope };
  if (name === undefined) return deleteCollection(registry, namespace, request, options, output, ctx);
  if (call.subresource !== undefined) throw methodNotSupported(registry.resource, "delete");
  const result = await registry.delete(namespace, name, options);
  if (def.group === "" && def.plural === "namespaces") ctx.namespaceDeleted();
  // upstream answers 200 with the object when it is not gone yet (finalizers, namespaces, graceful pods);
  // 202 only when the client explicitly asked orphanDependents=false
  if (!result.deleted) return objectResponse(def, options.orphanDependentsFalse ? 202 : 200, result.object, output);
  const status = successStatus({
    name,
    kind: def.plural,
    uid: result.object.metadata.uid,
    ...(def.group ? { group: def.group } : {}),
  });
  return jsonResponse(200, status, output);
}

/** kubectl's typed clients send protobuf for a few kinds (create namespace/configmap/secret). */
function decodeProtobufBody(def: ResourceDefinition, request: ApiRequest) {
  if (request.body && request.body.byteLength > maxBodyBytes) throw entityTooLarge();
  const value = request.body && decodeProtobufObject(request.body);
  if (!value) throw unsupportedBody(request);
  return checkObject(def, value, "Ignore");
}

function unsupportedBody(request: ApiRequest): StatusError {
  return new StatusError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    { causes: [{ reason: "UnsupportedMediaType", message: request.headers["content-type"] ?? "" }] },
  );
}

async function deleteCollection(
  registry: GenericRegistry,
  namespace: string | undefined,
  request: ApiRequest,
  options: DeleteOptions,
  output: Output,
  ctx: HandlerContext,
): Promise<ApiResponse> {
  const def = registry.def;
  const selection = parseSelection(def, request.query.get("labelSelector"), request.query.get("fieldSelector"));
  const page = await listObjects(registry.store, def, namespace, { selection });
  const objects: KubeObject[] = [];
  const kvs = page.objects ?? page.items.map((kv) => JSON.parse(new TextDecoder().decode(kv.value)) as KubeObject);
  for (const object of kvs) {
    try {
      const result = await registry.delete(object.metadata.namespace, object.metadata.name!, options);
      objects.push(result.object);
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === "NotFound")) throw err;
    }
  }
  if (def.group === "" && def.plural === "namespaces") ctx.namespaceDeleted();
  return jsonResponse(
    200,
    {
      kind: def.listKind,
      apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
      metadata: {},
      items: objects,
    },
    output,
  );
}

/** pods/{name}/binding: the scheduler's way of setting spec.nodeName exactly once. */
async function bindPod(
  request: ApiRequest,
  registry: GenericRegistry,
  namespace: string | undefined,
  name: string,
  output: Output,
  options: WriteOptions,
): Promise<ApiResponse> {
  const value = parseBody(request.body, bodyType(request.headers["content-type"]) === "yaml");
  const binding = checkObject({ ...registry.def, kind: "Binding", plural: "bindings" }, value, "Ignore")
    .object as KubeObject & {
    target?: { kind?: string; name?: string };
  };
  const node = binding.target?.name;
  if (!node) throw new StatusError(422, "Invalid", `Binding.core "${name}" is invalid: target.name: Required value`);
  const pod = (await registry.get(namespace, name)) as KubeObject & { spec?: { nodeName?: string } };
  if (pod.spec?.nodeName) {
    throw new StatusError(
      409,
      "Conflict",
      `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${pod.spec.nodeName}"`,
      { name, kind: "pods/binding" },
    );
  }
  if (pod.metadata.deletionTimestamp) {
    throw new StatusError(
      409,
      "Conflict",
      `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`,
    );
  }
  const next = structuredClone(pod);
  next.spec = { ...(next.spec ?? {}), nodeName: node };
  await registry.update(namespace, name, next, options, "", undefined, true);
  return jsonResponse(201, successStatus(undefined), output);
}
