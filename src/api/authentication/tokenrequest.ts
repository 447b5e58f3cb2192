// authentication.k8s.io/v1 TokenRequest: what POST serviceaccounts/{name}/token takes and answers (k8s.io/api
// authentication/v1), its defaults (SetDefaults_TokenRequestSpec) and validation (ValidateTokenRequest), and the
// parse of a decoded body into it — the body's field types are checked here, once, as Go's decoder would refuse them.
import { FieldPath, invalid, type FieldError } from "../field.js";
import type { ObjectMeta } from "../meta.js";

export const TokenRequestGroup = "authentication.k8s.io";
export const TokenRequestApiVersion = "authentication.k8s.io/v1";

export interface BoundObjectReference {
  kind?: string;
  apiVersion?: string;
  name?: string;
  uid?: string;
}

export interface TokenRequestSpec {
  audiences: string[];
  expirationSeconds?: number;
  boundObjectRef?: BoundObjectReference | null;
}

export interface TokenRequestStatus {
  token: string;
  /** RFC 3339, seconds. */
  expirationTimestamp: string;
}

export interface TokenRequest {
  apiVersion: typeof TokenRequestApiVersion;
  kind: "TokenRequest";
  metadata: ObjectMeta;
  spec: TokenRequestSpec;
  status?: TokenRequestStatus;
}

/** upstream's MinTokenAgeSec: tokens live at least 10 minutes. */
export const MinTokenAgeSeconds = 10 * 60;
/** A token's lifetime when the request names none (SetDefaults_TokenRequestSpec). */
export const DefaultTokenExpirationSeconds = 60 * 60;
const MaxTokenAgeSeconds = 2 ** 32;

export class TokenRequestDecodeError extends Error {
  override name = "TokenRequestDecodeError";
}

const goType = (value: unknown): string =>
  Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "number" ? "number" : typeof value;

function cannotUnmarshal(value: unknown, field: string, type: string): TokenRequestDecodeError {
  return new TokenRequestDecodeError(
    `TokenRequest in version "v1" cannot be handled as a TokenRequest: json: cannot unmarshal ${goType(value)} ` +
      `into Go struct field ${field} of type ${type}`,
  );
}

function stringField(record: Record<string, unknown>, key: string, where: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw cannotUnmarshal(value, `${where}.${key}`, "string");
  return value;
}

function parseBoundObjectRef(value: unknown): BoundObjectReference | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw cannotUnmarshal(value, "TokenRequestSpec.spec.boundObjectRef", "v1.BoundObjectReference");
  }
  const record = value as Record<string, unknown>;
  const ref: BoundObjectReference = {};
  for (const key of ["kind", "apiVersion", "name", "uid"] as const) {
    const text = stringField(record, key, "BoundObjectReference.spec.boundObjectRef");
    if (text !== undefined && text !== "") ref[key] = text;
  }
  return ref;
}

/** The spec of a decoded body (apiVersion and kind already checked), typed; a wrong field type is a decode error. */
export function parseTokenRequest(value: Record<string, unknown>): TokenRequest {
  const spec = value.spec ?? {};
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) {
    throw cannotUnmarshal(spec, "TokenRequest.spec", "v1.TokenRequestSpec");
  }
  const record = spec as Record<string, unknown>;
  const audiences = record.audiences ?? [];
  if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== "string")) {
    throw cannotUnmarshal(audiences, "TokenRequestSpec.spec.audiences", "[]string");
  }
  const seconds = record.expirationSeconds;
  if (seconds !== undefined && seconds !== null && (typeof seconds !== "number" || !Number.isInteger(seconds))) {
    throw cannotUnmarshal(seconds, "TokenRequestSpec.spec.expirationSeconds", "int64");
  }
  const boundObjectRef = parseBoundObjectRef(record.boundObjectRef);
  return {
    apiVersion: TokenRequestApiVersion,
    kind: "TokenRequest",
    metadata: (value.metadata ?? {}) as ObjectMeta,
    spec: {
      audiences: audiences as string[],
      ...(typeof seconds === "number" ? { expirationSeconds: seconds } : {}),
      ...(boundObjectRef ? { boundObjectRef } : {}),
    },
  };
}

/** SetDefaults_TokenRequestSpec: an hour unless the request says otherwise. */
export function defaultTokenRequest(request: TokenRequest): void {
  request.spec.expirationSeconds ??= DefaultTokenExpirationSeconds;
}

/** ValidateTokenRequest: at least 10 minutes, at most 2^32 seconds. */
export function validateTokenRequest(request: TokenRequest): FieldError[] {
  const path = FieldPath.root("spec", "expirationSeconds");
  const seconds = request.spec.expirationSeconds ?? 0;
  const errors: FieldError[] = [];
  if (seconds < MinTokenAgeSeconds)
    errors.push(invalid(path, seconds, "may not specify a duration less than 10 minutes"));
  if (seconds > MaxTokenAgeSeconds) {
    errors.push(invalid(path, seconds, "may not specify a duration larger than 2^32 seconds"));
  }
  return errors;
}
