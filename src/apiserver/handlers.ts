// The resource endpoints: one function per verb, from a parsed request to a response. Parsing of query and
// body happens here, once; the registry works on typed options.
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { KubeObject } from "../api/meta.js";
import { badRequest, entityTooLarge, methodNotSupported, StatusError } from "./errors.js";
import { checkObject, decodeObjectBody, maxBodyBytes, parseBody, parseFieldValidation } from "./decode.js";
import { decodeProtobufObject } from "./protobuf.js";
import { handleScale, hasScale } from "./scale.js";
import type { ResourceDefinition } from "../api/resource.js";
import { bodyType, negotiate, type Representation } from "./media.js";
import { patchObject } from "./patching.js";
import type { GenericRegistry } from "./registry/generic.js";
import { listObjects, parseResourceVersion } from "./registry/list.js";
import type { DeleteOptions, PropagationPolicy } from "./registry/options.js";
import { parseSelection } from "./registry/select.js";
import { watchObjects } from "./registry/watch.js";
import { jsonResponse, listResponse, objectResponse, successStatus, type Output } from "./respond.js";
import { watchStream } from "./stream.js";
import type { ResourcePath } from "./route.js";

export interface HandlerContext {
  log: (message: string, err: unknown) => void;
  /** Called after a namespace is marked for deletion, to start removing its content. */
  namespaceDeleted(): void;
  bookmarkIntervalMs?: number;
}

function parseDryRun(query: URLSearchParams): boolean {
  const values = query.getAll("dryRun");
  for (const v of values) {
    if (v !== "All") throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

function parseIntParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  if (!/^-?\d+$/.test(text)) throw badRequest(`${name}: Invalid value: "${text}": must be an integer`);
  return Number(text);
}

function parseBool(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null || text === "" || text === "false" || text === "0") return false;
  if (text === "true" || text === "1") return true;
  throw badRequest(`${name}: Invalid value: "${text}": must be a boolean`);
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

export async function handleResource(
  request: ApiRequest,
  path: ResourcePath,
  registry: GenericRegistry,
  ctx: HandlerContext,
): Promise<ApiResponse> {
  const def = registry.def;
  const gr = registry.resource;
  const namespace = def.namespaced ? path.namespace : undefined;
  const objectName = path.name;
  const subresource = path.subresource;
  if (!def.namespaced && path.namespace) {
    throw new StatusError(404, "NotFound", "the server could not find the requested resource");
  }
  const allowedSubresources = [
    ...(def.hasStatus ? ["status"] : []),
    ...(def.plural === "namespaces" && def.group === "" ? ["finalize"] : []),
    ...(def.plural === "pods" && def.group === "" ? ["binding"] : []),
    ...(hasScale(registry) ? ["scale"] : []),
  ];
  if (subresource !== undefined && !allowedSubresources.includes(subresource)) {
    throw new StatusError(404, "NotFound", "the server could not find the requested resource");
  }
  if (subresource === "scale" && objectName !== undefined) {
    const scale = await handleScale(
      request,
      registry,
      namespace,
      objectName,
      parseDryRun(request.query),
      parseFieldValidation(request.query.get("fieldValidation")),
    );
    return jsonResponse(200, scale);
  }
  const isWatch = path.watchPath || parseBool(request.query, "watch");
  const output = outputFor(request, true);
  const query = request.query;

  switch (request.method) {
    case "GET": {
      if (objectName !== undefined && !isWatch) {
        const object = await registry.get(namespace, objectName);
        return objectResponse(def, 200, object, output);
      }
      const selection = parseSelection(def, query.get("labelSelector"), query.get("fieldSelector"));
      if (objectName !== undefined) {
        // GET …/watch/…/{name}: a watch narrowed to one object
        const field = `metadata.name=${objectName}`;
        const fieldText = query.get("fieldSelector");
        Object.assign(selection, parseSelection(def, null, fieldText ? `${fieldText},${field}` : field));
      }
      if (isWatch) {
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
          output,
          allowBookmarks: parseBool(query, "allowWatchBookmarks"),
          timeoutSeconds,
          bookmarkIntervalMs: ctx.bookmarkIntervalMs,
          // sound for in-process stores (memory, SQLite), which publish events as they advance the revision; an
          // etcd backend must bring its own progress notifications instead
          progress: () => registry.store.currentRevision(),
          signal: request.signal,
          log: ctx.log,
          events: (signal) =>
            watchObjects(registry.store, def, namespace, { selection, resourceVersion, sendInitialEvents, signal }),
        });
        const headers: Record<string, string> = { "content-type": "application/json", "transfer-encoding": "chunked" };
        return { status: 200, headers, body: stream };
      }
      const page = await listObjects(registry.store, def, namespace, {
        selection,
        limit: parseIntParam(query, "limit"),
        continue: query.get("continue") || undefined,
        resourceVersion: query.get("resourceVersion") ?? undefined,
        resourceVersionMatch: query.get("resourceVersionMatch") || undefined,
      });
      return listResponse(def, page, output);
    }
    case "POST": {
      if (subresource === "binding" && objectName) return bindPod(request, registry, namespace, objectName, output);
      if (objectName !== undefined) throw methodNotSupported(gr, "create");
      const validation = parseFieldValidation(query.get("fieldValidation"));
      const type = bodyType(request.headers["content-type"]);
      if (type !== "json" && type !== "yaml" && type !== "protobuf") throw unsupportedBody(request);
      const decoded =
        type === "protobuf"
          ? decodeProtobufBody(def, request)
          : decodeObjectBody(def, request.body, type === "yaml", validation);
      output.warnings.push(...decoded.warnings);
      const created = await registry.create(namespace, decoded.object, { dryRun: parseDryRun(query) });
      return objectResponse(def, 201, created, output);
    }
    case "PUT": {
      if (objectName === undefined) throw methodNotSupported(gr, "update");
      const validation = parseFieldValidation(query.get("fieldValidation"));
      const type = bodyType(request.headers["content-type"]);
      if (type !== "json" && type !== "yaml") throw unsupportedBody(request);
      const decoded = decodeObjectBody(def, request.body, type === "yaml", validation);
      output.warnings.push(...decoded.warnings);
      const updated = await registry.update(
        namespace,
        objectName,
        decoded.object,
        { dryRun: parseDryRun(query) },
        (subresource ?? "") as "" | "status" | "finalize",
      );
      return objectResponse(def, 200, updated, output);
    }
    case "PATCH": {
      if (objectName === undefined) throw methodNotSupported(gr, "patch");
      if (subresource === "finalize" || subresource === "binding") throw methodNotSupported(gr, "patch");
      const validation = parseFieldValidation(query.get("fieldValidation"));
      const contentType = request.headers["content-type"] ?? "";
      const type = bodyType(contentType);
      const body =
        type === "json-patch" || type === "merge-patch" || type === "strategic-merge-patch"
          ? parseBody(request.body, false)
          : undefined;
      const patched = await patchObject(
        registry,
        namespace,
        objectName,
        type,
        contentType,
        body,
        parseDryRun(query),
        (subresource ?? "") as "" | "status",
        validation,
        output.warnings,
      );
      return objectResponse(def, 200, patched, output);
    }
    case "DELETE": {
      const options = parseDeleteOptions(request);
      if (objectName === undefined) return deleteCollection(registry, namespace, request, options, output, ctx);
      if (subresource !== undefined) throw methodNotSupported(gr, "delete");
      const result = await registry.delete(namespace, objectName, options);
      if (def.group === "" && def.plural === "namespaces") ctx.namespaceDeleted();
      // upstream answers 200 with the object when it is not gone yet (finalizers, namespaces, graceful pods);
      // 202 only when the client explicitly asked orphanDependents=false
      if (!result.deleted) return objectResponse(def, options.orphanDependentsFalse ? 202 : 200, result.object, output);
      const object = result.object;
      return jsonResponse(
        200,
        successStatus({
          name: objectName,
          kind: def.plural,
          uid: object.metadata.uid,
          ...(def.group ? { group: def.group } : {}),
        }),
        output,
      );
    }
  }
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

function parseDeleteOptions(request: ApiRequest): DeleteOptions {
  const query = request.query;
  const options: DeleteOptions = { dryRun: parseDryRun(query) };
  const grace = parseIntParam(query, "gracePeriodSeconds");
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = query.get("propagationPolicy");
  if (policy) options.propagationPolicy = checkPolicy(policy);
  if (request.body && request.body.byteLength > 0) {
    const yaml = bodyType(request.headers["content-type"]) === "yaml";
    const value = parseBody(request.body, yaml);
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw badRequest("DeleteOptions must be an object");
    const body = value as Record<string, unknown>;
    if (body.kind !== undefined && body.kind !== "DeleteOptions") {
      throw badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (DeleteOptions)`);
    }
    if (body.gracePeriodSeconds !== undefined && body.gracePeriodSeconds !== null) {
      if (typeof body.gracePeriodSeconds !== "number") throw badRequest("gracePeriodSeconds must be an integer");
      options.gracePeriodSeconds = body.gracePeriodSeconds;
    }
    if (body.orphanDependents === false) options.orphanDependentsFalse = true;
    if (typeof body.propagationPolicy === "string") options.propagationPolicy = checkPolicy(body.propagationPolicy);
    else if (body.orphanDependents === true) options.propagationPolicy = "Orphan";
    if (Array.isArray(body.dryRun)) {
      for (const v of body.dryRun)
        if (v !== "All") throw badRequest(`dryRun: Unsupported value: "${String(v)}": supported values: "All"`);
      if (body.dryRun.length) options.dryRun = true;
    }
    if (body.preconditions && typeof body.preconditions === "object") {
      const pre = body.preconditions as Record<string, unknown>;
      options.preconditions = {
        uid: typeof pre.uid === "string" ? pre.uid : undefined,
        resourceVersion: typeof pre.resourceVersion === "string" ? pre.resourceVersion : undefined,
      };
    }
  }
  return options;
}

function checkPolicy(policy: string): PropagationPolicy {
  if (policy === "Orphan" || policy === "Background" || policy === "Foreground") return policy;
  throw new StatusError(
    422,
    "Invalid",
    `DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan", "nil"`,
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
  await registry.update(namespace, name, next, { dryRun: parseDryRun(request.query) }, "", undefined, true);
  return jsonResponse(201, successStatus(undefined), output);
}
