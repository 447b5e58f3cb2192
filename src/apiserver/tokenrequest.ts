// POST serviceaccounts/{name}/token: the TokenRequest subresource (upstream's TokenREST,
// pkg/registry/core/serviceaccount/storage/token.go). The request is defaulted and validated, the ServiceAccount must
// exist, a boundObjectRef must name an existing Pod (running as that ServiceAccount) or Secret, with the UID given
// if one is; the token is issued for the requested audiences or, by default, the apiserver's own (--api-audiences).
// Nothing is stored: the answer is the request with status.token and status.expirationTimestamp filled in.
import {
  TokenRequestGroup,
  defaultTokenRequest,
  parseTokenRequest,
  validateTokenRequest,
  TokenRequestDecodeError,
  type BoundObjectReference,
  type TokenRequest,
} from "../api/authentication/tokenrequest.js";
import type { Pod } from "../api/core/types.js";
import type { ApiRequest } from "../api/http.js";
import type { ObjectReader } from "./admission/types.js";
import type { ObjectRef, ServiceAccountTokens } from "./authn/serviceaccount.js";
import { checkObject, maxBodyBytes, parseBody } from "./decode.js";
import { badRequest, conflict, entityTooLarge, invalid, notFound, StatusError } from "./errors.js";
import { bodyType } from "./media.js";
import { decodeProtobufObject } from "./protobuf.js";
import type { GenericRegistry } from "./registry/generic.js";

export interface TokenRequestContext {
  tokens: ServiceAccountTokens;
  /** The ServiceAccount and the bound objects, as stored now. */
  objects: ObjectReader;
}

/** The request body (JSON, YAML or the protobuf kubectl sends) as a TokenRequest. */
function decodeTokenRequest(request: ApiRequest, registry: GenericRegistry): TokenRequest {
  const type = bodyType(request.headers["content-type"]);
  let value: unknown;
  if (type === "protobuf") {
    if (request.body && request.body.byteLength > maxBodyBytes) throw entityTooLarge();
    value = request.body && decodeProtobufObject(request.body);
  } else if (type === "json" || type === "yaml") {
    value = parseBody(request.body, type === "yaml");
  }
  if (value === undefined) {
    throw new StatusError(
      415,
      "UnsupportedMediaType",
      "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
    );
  }
  const def = { ...registry.def, group: TokenRequestGroup, version: "v1", kind: "TokenRequest" };
  const { object } = checkObject(def, value, "Ignore");
  try {
    return parseTokenRequest(object as unknown as Record<string, unknown>);
  } catch (err) {
    if (err instanceof TokenRequestDecodeError) throw badRequest(err.message);
    throw err;
  }
}

/** apiVersion "apps/v1" → group apps; "v1" (or none) → the core group. */
const groupOf = (apiVersion: string | undefined): { group: string; version: string } => {
  const slash = (apiVersion ?? "").indexOf("/");
  return slash < 0
    ? { group: "", version: apiVersion ?? "" }
    : { group: apiVersion!.slice(0, slash), version: apiVersion!.slice(slash + 1) };
};

/** The Pod or Secret a token is to be bound to, checked as upstream checks it. */
async function boundObject(
  ref: BoundObjectReference,
  namespace: string,
  serviceAccount: string,
  objects: ObjectReader,
): Promise<{ pod?: ObjectRef; secret?: ObjectRef }> {
  const { group, version } = groupOf(ref.apiVersion);
  const kind = ref.kind ?? "";
  const name = ref.name ?? "";
  let found: { pod?: ObjectRef; secret?: ObjectRef };
  let uid: string;
  if (group === "" && (kind === "Pod" || kind === "Secret")) {
    if (!name) throw badRequest("Name parameter required.");
    const plural = kind === "Pod" ? "pods" : "secrets";
    const object = await objects.get("", plural, namespace, name);
    if (!object) throw notFound({ group: "", resource: plural }, name);
    uid = object.metadata.uid ?? "";
    if (kind === "Pod") {
      if (((object as Pod).spec?.serviceAccountName ?? "") !== serviceAccount) {
        throw badRequest(
          `cannot bind token for serviceaccount "${serviceAccount}" to pod running with different serviceaccount name.`,
        );
      }
      found = { pod: { name, uid } };
    } else found = { secret: { name, uid } };
  } else {
    throw badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${kind}`);
  }
  if (ref.uid && ref.uid !== uid) {
    throw conflict(
      { group, resource: kind },
      name,
      `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    );
  }
  return found;
}

/** metav1.Time: RFC 3339 in whole seconds. */
const rfc3339 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Issues the token a TokenRequest asks for; the answer as upstream writes it (201 Created). */
export async function createServiceAccountToken(
  request: ApiRequest,
  registry: GenericRegistry,
  namespace: string,
  name: string,
  ctx: TokenRequestContext,
): Promise<Record<string, unknown>> {
  const tokenRequest = decodeTokenRequest(request, registry);
  defaultTokenRequest(tokenRequest);
  const errors = validateTokenRequest(tokenRequest);
  if (errors.length) throw invalid(TokenRequestGroup, "TokenRequest", "", errors);
  const account = await ctx.objects.get("", "serviceaccounts", namespace, name);
  if (!account) throw notFound({ group: "", resource: "serviceaccounts" }, name);
  const ref = tokenRequest.spec.boundObjectRef;
  const bound = ref ? await boundObject(ref, namespace, name, ctx.objects) : {};
  const spec = tokenRequest.spec;
  if (spec.audiences.length === 0) spec.audiences = [...ctx.tokens.apiAudiences];
  const { token, expiresAt } = await ctx.tokens.issue({
    namespace,
    serviceAccount: { name, uid: account.metadata.uid ?? "" },
    ...bound,
    audiences: spec.audiences,
    expirationSeconds: spec.expirationSeconds ?? 0,
  });
  return {
    apiVersion: tokenRequest.apiVersion,
    kind: tokenRequest.kind,
    // nothing is stored, so there is no creation time: metav1.Time's zero value is written as null
    metadata: { ...tokenRequest.metadata, namespace, creationTimestamp: null },
    spec: { audiences: spec.audiences, expirationSeconds: spec.expirationSeconds, boundObjectRef: ref ?? null },
    status: { token, expirationTimestamp: rfc3339(expiresAt) },
  };
}
