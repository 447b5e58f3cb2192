// authorization.k8s.io/v1 self reviews, so `kubectl auth can-i` answers. stowage has no authentication or
// authorization yet (a roadmap item): every request is allowed, and the answer says why.
import type { ApiRequest, ApiResponse } from "../api/http.js";
import { badRequest, StatusError } from "./errors.js";
import { parseBody } from "./decode.js";
import { bodyType } from "./media.js";
import { jsonResponse } from "./respond.js";

export const authorizationGroupVersion = "authorization.k8s.io/v1";
const reason = "stowage does not authorize requests yet: everything is allowed";

export function authorizationResources(): Record<string, unknown> {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: authorizationGroupVersion,
    resources: [
      {
        name: "selfsubjectaccessreviews",
        singularName: "selfsubjectaccessreview",
        namespaced: false,
        kind: "SelfSubjectAccessReview",
        verbs: ["create"],
      },
      {
        name: "selfsubjectrulesreviews",
        singularName: "selfsubjectrulesreview",
        namespaced: false,
        kind: "SelfSubjectRulesReview",
        verbs: ["create"],
      },
    ],
  };
}

export function serveAuthorization(request: ApiRequest, path: string): ApiResponse | undefined {
  const match = /^\/apis\/authorization\.k8s\.io\/v1\/(selfsubjectaccessreviews|selfsubjectrulesreviews)$/.exec(path);
  if (!match) return undefined;
  if (request.method !== "POST") {
    throw new StatusError(
      405,
      "MethodNotAllowed",
      `${request.method} is not supported on ${match[1]}.authorization.k8s.io`,
    );
  }
  const type = bodyType(request.headers["content-type"]);
  const kind = match[1] === "selfsubjectaccessreviews" ? "SelfSubjectAccessReview" : "SelfSubjectRulesReview";
  // kubectl's typed client sends protobuf; the answer does not depend on the question, so it is not decoded
  const value =
    type === "protobuf"
      ? { apiVersion: authorizationGroupVersion, kind, spec: {} }
      : parseBody(request.body, type === "yaml");
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw badRequest("the review must be an object");
  const review = value as Record<string, unknown>;
  if (match[1] === "selfsubjectaccessreviews") {
    return jsonResponse(201, { ...review, metadata: {}, status: { allowed: true, reason } });
  }
  return jsonResponse(201, {
    ...review,
    metadata: {},
    status: {
      resourceRules: [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }],
      nonResourceRules: [{ verbs: ["*"], nonResourceURLs: ["*"] }],
      incomplete: false,
    },
  });
}
