// What a request asks to do, in the words authorizers decide on: upstream's RequestInfoFactory (verb from the
// method and the path's shape, watch from ?watch or /watch/, a list narrowed to one name by
// fieldSelector=metadata.name=… counts as that name) and its non-resource verbs (the method, lower-cased).
import type { ApiRequest } from "../../api/http.js";
import type { RequestAttributes, UserInfo } from "../../api/user.js";
import { StatusError } from "../errors.js";
import { parseBool } from "../query.js";
import { parseResourcePath } from "../route.js";

// Connecting to a pod is creating something, whatever the upgrade's method (upstream checks "create").
const connectSubresources = new Set(["exec", "attach", "portforward"]);

/** Whether ?watch asks to watch, read by the same parser the handler acts on; a bad value the handler refuses. */
function watchRequested(query: URLSearchParams): boolean {
  try {
    return parseBool(query, "watch");
  } catch {
    return false; // answered 400 by the handler once authorized as the list it otherwise is
  }
}

function singleName(fieldSelector: string | null): string {
  const match = /^metadata\.name==?([^,]+)$/.exec(fieldSelector ?? "");
  return match ? match[1] : "";
}

export function requestAttributes(request: ApiRequest, user: UserInfo): RequestAttributes {
  const route = parseResourcePath(request.path);
  const nonResource = {
    user,
    verb: request.method.toLowerCase(),
    resourceRequest: false,
    apiGroup: "",
    resource: "",
    subresource: "",
    namespace: "",
    name: "",
    path: request.path,
  };
  if (!route) return nonResource;
  const name = route.name ?? "";
  const subresource = route.subresource ?? "";
  let verb: string;
  switch (request.method) {
    case "GET":
      if (route.watchPath || watchRequested(request.query)) verb = "watch";
      else verb = name ? "get" : "list";
      break;
    case "POST":
      verb = "create";
      break;
    case "PUT":
      verb = "update";
      break;
    case "PATCH":
      verb = "patch";
      break;
    case "DELETE":
      verb = name ? "delete" : "deletecollection";
      break;
  }
  if (connectSubresources.has(subresource)) verb = "create";
  return {
    ...nonResource,
    verb,
    resourceRequest: true,
    apiGroup: route.group,
    resource: route.plural,
    subresource,
    // a namespace object is in its own namespace: a Role there may let you read *this* namespace
    namespace: route.namespace ?? (route.plural === "namespaces" ? name : ""),
    name: name || (verb === "list" || verb === "watch" ? singleName(request.query.get("fieldSelector")) : ""),
    path: request.path,
  };
}

/** upstream's forbiddenMessage, inside the Forbidden Status kube-apiserver sends for a request no authorizer allowed. */
export function forbidden(attributes: RequestAttributes, reason: string): StatusError {
  const who = `User ${JSON.stringify(attributes.user.name)}`;
  const why = reason ? `: ${reason}` : "";
  if (!attributes.resourceRequest) {
    return new StatusError(
      403,
      "Forbidden",
      `forbidden: ${who} cannot ${attributes.verb} path ${JSON.stringify(attributes.path)}${why}`,
      {},
    );
  }
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  const scope = attributes.namespace
    ? `in the namespace ${JSON.stringify(attributes.namespace)}`
    : "at the cluster scope";
  const message = `${who} cannot ${attributes.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attributes.apiGroup)} ${scope}`;
  const groupResource = attributes.apiGroup ? `${attributes.resource}.${attributes.apiGroup}` : attributes.resource;
  const object = attributes.name ? `${groupResource} ${JSON.stringify(attributes.name)}` : groupResource;
  return new StatusError(403, "Forbidden", `${object} is forbidden: ${message}${why}`, {
    ...(attributes.name ? { name: attributes.name } : {}),
    group: attributes.apiGroup,
    kind: attributes.resource,
  });
}
