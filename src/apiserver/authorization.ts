// authorization.k8s.io/v1: SelfSubjectAccessReview and SelfSubjectRulesReview (`kubectl auth can-i [--list]`),
// SubjectAccessReview and LocalSubjectAccessReview (may another user do this?). With security configured they are
// answered by the apiserver's own authorizer for the authenticated (or impersonated) user; without it every request
// is allowed, and the answer says so.
import type { ApiRequest, ApiResponse } from "../api/http.js";
import type { PolicyRule } from "../api/rbac/types.js";
import type { RequestAttributes, UserInfo } from "../api/user.js";
import type { RequestGate } from "./authz/gate.js";
import { badRequest, StatusError } from "./errors.js";
import { parseBody } from "./decode.js";
import { bodyType } from "./media.js";
import { decodeProtobufObject } from "./protobuf.js";
import { jsonResponse } from "./respond.js";

export const authorizationGroupVersion = "authorization.k8s.io/v1";
const allowAllReason = "stowage does not authorize requests yet: everything is allowed";

const review = (name: string, kind: string, namespaced = false) => ({
  name,
  singularName: kind.toLowerCase(),
  namespaced,
  kind,
  verbs: ["create"],
});

export function authorizationResources(): Record<string, unknown> {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: authorizationGroupVersion,
    resources: [
      review("localsubjectaccessreviews", "LocalSubjectAccessReview", true),
      review("selfsubjectaccessreviews", "SelfSubjectAccessReview"),
      review("selfsubjectrulesreviews", "SelfSubjectRulesReview"),
      review("subjectaccessreviews", "SubjectAccessReview"),
    ],
  };
}

type Review = Record<string, unknown> & { spec?: Record<string, unknown> };

const reviewKinds: Record<string, string> = {
  selfsubjectaccessreviews: "SelfSubjectAccessReview",
  selfsubjectrulesreviews: "SelfSubjectRulesReview",
  localsubjectaccessreviews: "LocalSubjectAccessReview",
  subjectaccessreviews: "SubjectAccessReview",
};

function readReview(request: ApiRequest): Review {
  const type = bodyType(request.headers["content-type"]);
  const value =
    type === "protobuf"
      ? decodeProtobufObject(request.body ?? new Uint8Array())
      : parseBody(request.body, type === "yaml");
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw badRequest("the review must be an object");
  return value as Review;
}

const text = (v: unknown): string => (typeof v === "string" ? v : "");
const texts = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);

/** A review's spec as the request attributes the authorizer decides on. */
function attributesOf(spec: Record<string, unknown>, user: UserInfo): RequestAttributes {
  const resource = spec.resourceAttributes as Record<string, unknown> | undefined;
  const nonResource = spec.nonResourceAttributes as Record<string, unknown> | undefined;
  if (!resource && !nonResource) {
    throw new StatusError(
      422,
      "Invalid",
      'spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
  }
  return {
    user,
    verb: text((resource ?? nonResource)?.verb),
    resourceRequest: resource !== undefined,
    apiGroup: text(resource?.group),
    resource: text(resource?.resource),
    subresource: text(resource?.subresource),
    namespace: text(resource?.namespace),
    name: text(resource?.name),
    path: text(nonResource?.path),
  };
}

/** The user a SubjectAccessReview asks about: spec.user, spec.groups, spec.uid, spec.extra. */
function subjectOf(spec: Record<string, unknown>): UserInfo {
  const name = text(spec.user);
  const groups = texts(spec.groups);
  if (!name && groups.length === 0) {
    throw new StatusError(
      422,
      "Invalid",
      'spec.user: Invalid value: "": at least one of user or group must be specified',
    );
  }
  return { name, groups, uid: text(spec.uid) || undefined };
}

function accessStatus(gate: RequestGate | undefined, attributes: RequestAttributes): Record<string, unknown> {
  if (!gate) return { allowed: true, reason: allowAllReason };
  const decision = gate.authorize(attributes);
  return decision.reason ? { allowed: decision.allowed, reason: decision.reason } : { allowed: decision.allowed };
}

function rulesStatus(rules: PolicyRule[]): Record<string, unknown> {
  return {
    resourceRules: rules
      .filter((r) => !r.nonResourceURLs?.length)
      .map((r) => ({
        verbs: r.verbs,
        apiGroups: r.apiGroups ?? [],
        resources: r.resources ?? [],
        ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
      })),
    nonResourceRules: rules
      .filter((r) => r.nonResourceURLs?.length)
      .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs })),
    incomplete: false,
  };
}

const reviewPath =
  /^\/apis\/authorization\.k8s\.io\/v1\/(?:namespaces\/([^/]+)\/(localsubjectaccessreviews)|(selfsubjectaccessreviews|selfsubjectrulesreviews|subjectaccessreviews))$/;

export function serveAuthorization(request: ApiRequest, path: string, gate?: RequestGate): ApiResponse | undefined {
  const match = reviewPath.exec(path);
  if (!match) return undefined;
  const resource = match[2] ?? match[3];
  if (request.method !== "POST") {
    throw new StatusError(
      405,
      "MethodNotAllowed",
      `${request.method} is not supported on ${resource}.authorization.k8s.io`,
    );
  }
  const body = readReview(request);
  const spec = body.spec ?? {};
  const self: UserInfo = request.user ?? { name: "", groups: [] };
  let status: Record<string, unknown>;
  switch (resource) {
    case "selfsubjectaccessreviews":
      status = accessStatus(gate, attributesOf(spec, self));
      break;
    case "selfsubjectrulesreviews":
      status = rulesStatus(
        gate
          ? gate.rules(self, text(spec.namespace))
          : [
              { verbs: ["*"], apiGroups: ["*"], resources: ["*"] },
              { verbs: ["*"], nonResourceURLs: ["*"] },
            ],
      );
      break;
    case "localsubjectaccessreviews": {
      const attributes = attributesOf(spec, subjectOf(spec));
      if (attributes.namespace && attributes.namespace !== match[1]) {
        throw new StatusError(
          422,
          "Invalid",
          `spec.resourceAttributes.namespace: Invalid value: "${attributes.namespace}": must match metadata.namespace`,
        );
      }
      status = accessStatus(gate, { ...attributes, namespace: match[1] });
      break;
    }
    default:
      status = accessStatus(gate, attributesOf(spec, subjectOf(spec)));
  }
  // a review sent without kind or apiVersion is answered with the endpoint's, as kube-apiserver decodes it
  const typeMeta = { apiVersion: "authorization.k8s.io/v1", kind: reviewKinds[resource] };
  return jsonResponse(201, { ...typeMeta, ...body, metadata: body.metadata ?? {}, status });
}
