// The query parameters (and DeleteOptions body) that several verbs share, parsed once into typed values with
// upstream's messages for bad ones.
import type { ApiRequest } from "../api/http.js";
import { badRequest, StatusError } from "./errors.js";
import { parseBody } from "./decode.js";
import { bodyType } from "./media.js";
import type { DeleteOptions, PropagationPolicy } from "./registry/options.js";

export function parseDryRun(query: URLSearchParams): boolean {
  const values = query.getAll("dryRun");
  for (const v of values) {
    if (v !== "All") throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

export function parseIntParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null || text === "") return undefined;
  if (!/^-?\d+$/.test(text)) throw badRequest(`${name}: Invalid value: "${text}": must be an integer`);
  return Number(text);
}

export function parseBool(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null || text === "" || text === "false" || text === "0") return false;
  if (text === "true" || text === "1") return true;
  throw badRequest(`${name}: Invalid value: "${text}": must be a boolean`);
}

export function parseDeleteOptions(request: ApiRequest): DeleteOptions {
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

/** The parameter codec's decoding of a Go bool (pods/log, pods/exec): strconv.ParseBool's spellings and error. */
export function parseGoBool(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null || text === "") return false;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(text)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(text)) return false;
  throw badRequest(`strconv.ParseBool: parsing ${JSON.stringify(text)}: invalid syntax`);
}
