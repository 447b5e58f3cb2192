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

/** An int64 parameter as the parameter codec converts it (strconv.ParseInt, base 10), with Go's message. */
export function parseIntParam(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  if (!/^[+-]?\d+$/.test(text)) throw badRequest(`strconv.ParseInt: parsing ${goQuote(text)}: invalid syntax`);
  const value = BigInt(text);
  if (value > 2n ** 63n - 1n || value < -(2n ** 63n))
    throw badRequest(`strconv.ParseInt: parsing ${goQuote(text)}: value out of range`);
  return Number(value);
}

/**
 * A bool parameter as the parameter codec converts it (runtime.Convert_Slice_string_To_bool): absent, "0" and
 * any case of "false" are false; anything else, even an empty value, is true. So the Python client's
 * watch=True watches.
 */
export function parseBool(query: URLSearchParams, name: string): boolean {
  const text = query.get(name);
  if (text === null) return false;
  return text !== "0" && text.toLowerCase() !== "false";
}

/** ?timeout= on a request that is not a watch: a Go duration, refused with the request-deadline filter's words. */
export function parseTimeout(query: URLSearchParams): number | undefined {
  const text = query.get("timeout");
  if (text === null || text === "") return undefined;
  const ms = parseGoDuration(text);
  if (typeof ms === "string") throw badRequest(`invalid timeout specified in the request URL - ${ms}`);
  return ms;
}

const durationUnits: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds; its error text when the text is not a duration. */
export function parseGoDuration(text: string): number | string {
  const invalid = `time: invalid duration ${goQuote(text)}`;
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") return invalid;
  let total = 0;
  while (rest !== "") {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    if (number[0] === "" || number[0] === ".") return invalid;
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === "") return `time: missing unit in duration ${goQuote(text)}`;
    const scale = durationUnits[unit];
    if (scale === undefined) return `time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`;
    rest = rest.slice(unit.length);
    total += Number(number[0].startsWith(".") ? `0${number[0]}` : number[0]) * scale;
  }
  return sign * total;
}

/** strconv.Quote for the ASCII a query carries (JSON's quoting agrees there). */
const goQuote = (text: string) => JSON.stringify(text);

export function parseDeleteOptions(request: ApiRequest): DeleteOptions {
  const query = request.query;
  const options: DeleteOptions = { dryRun: parseDryRun(query) };
  const grace = parseIntParam(query, "gracePeriodSeconds");
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = query.get("propagationPolicy");
  if (policy) options.propagationPolicy = checkPolicy(policy);
  // the query's orphanDependents, read as any query bool; a body's DeleteOptions below say it instead
  const orphan = query.has("orphanDependents") ? parseBool(query, "orphanDependents") : undefined;
  if (orphan === false) options.orphanDependentsFalse = true;
  else if (orphan === true && !policy) options.propagationPolicy = "Orphan";
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
