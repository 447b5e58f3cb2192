// authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`): the apiserver tells a caller who it
// authenticated them as — user, UID, groups and extra — after impersonation, as kube-apiserver does. Served by hand
// beside the resource groups: it is a create-only review that is never stored.
import type { ApiRequest, ApiResponse } from "../api/http.js";
import { StatusError } from "./errors.js";
import { jsonResponse } from "./respond.js";

export const authenticationGroupVersion = "authentication.k8s.io/v1";

/** authentication.k8s.io's APIGroup document. */
export const authenticationGroup = {
  name: "authentication.k8s.io",
  versions: [{ groupVersion: authenticationGroupVersion, version: "v1" }],
  preferredVersion: { groupVersion: authenticationGroupVersion, version: "v1" },
};

export function authenticationResources(): Record<string, unknown> {
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: authenticationGroupVersion,
    resources: [
      {
        name: "selfsubjectreviews",
        singularName: "selfsubjectreview",
        namespaced: false,
        kind: "SelfSubjectReview",
        verbs: ["create"],
      },
    ],
  };
}

export function serveSelfSubjectReview(request: ApiRequest, path: string): ApiResponse | undefined {
  if (path !== "/apis/authentication.k8s.io/v1/selfsubjectreviews") return undefined;
  if (request.method !== "POST") {
    throw new StatusError(
      405,
      "MethodNotAllowed",
      `${request.method} is not supported on selfsubjectreviews.authentication.k8s.io`,
    );
  }
  // Without security configured nobody is authenticated: the answer says so rather than inventing a user.
  const user = request.user ?? { name: "system:anonymous", groups: ["system:unauthenticated"] };
  return jsonResponse(201, {
    kind: "SelfSubjectReview",
    apiVersion: authenticationGroupVersion,
    metadata: { creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z") },
    status: {
      userInfo: {
        username: user.name,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: user.groups,
        ...(user.extra && Object.keys(user.extra).length ? { extra: user.extra } : {}),
      },
    },
  });
}
