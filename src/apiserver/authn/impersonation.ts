// kubectl --as/--as-group/--as-uid: upstream's impersonation filter. The authenticated user must be allowed the
// "impersonate" verb on each thing it asks to be (users, groups, serviceaccounts, uids, userextras/<key>); the
// request then runs as the impersonated user, who gets system:authenticated as upstream adds it.
import {
  AllAuthenticated,
  AllServiceAccounts,
  Anonymous,
  ServiceAccountUserPrefix,
  type RequestAttributes,
  type UserInfo,
} from "../../api/user.js";
import { badRequest } from "../errors.js";

/** The impersonation headers of a request (lower-cased names), or undefined when it impersonates no one. */
export interface ImpersonationRequest {
  user?: string;
  groups: string[];
  uid?: string;
  extra: Record<string, string[]>;
}

export function impersonationOf(headers: Record<string, string>): ImpersonationRequest | undefined {
  const user = headers["impersonate-user"];
  // node:http joins repeated headers with ", "; group names never contain one
  const groups = (headers["impersonate-group"] ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter(Boolean);
  const uid = headers["impersonate-uid"];
  const extra: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith("impersonate-extra-")) continue;
    extra[unescapeExtraKey(name.slice("impersonate-extra-".length))] = value.split(",").map((v) => v.trim());
  }
  if (user === undefined && groups.length === 0 && uid === undefined && Object.keys(extra).length === 0)
    return undefined;
  if (!user) throw badRequest("requested impersonation of groups, uid or extra without impersonating a user");
  return { user, groups, uid, extra };
}

/** Each check the impersonating user must pass, as request attributes for the authorizer. */
export function impersonationChecks(impersonator: UserInfo, wanted: ImpersonationRequest): RequestAttributes[] {
  const check = (resource: string, name: string, namespace = "", subresource = ""): RequestAttributes => ({
    user: impersonator,
    verb: "impersonate",
    resourceRequest: true,
    apiGroup:
      resource === "users" || resource === "groups" || resource === "serviceaccounts" ? "" : "authentication.k8s.io",
    resource,
    subresource,
    namespace,
    name,
    path: "",
  });
  const checks: RequestAttributes[] = [];
  const user = wanted.user ?? "";
  if (user.startsWith(ServiceAccountUserPrefix)) {
    const [namespace, name] = user.slice(ServiceAccountUserPrefix.length).split(":");
    checks.push(check("serviceaccounts", name ?? "", namespace ?? ""));
  } else checks.push(check("users", user));
  for (const group of wanted.groups) checks.push(check("groups", group));
  if (wanted.uid !== undefined) checks.push(check("uids", wanted.uid));
  for (const [key, values] of Object.entries(wanted.extra))
    for (const value of values) checks.push(check("userextras", value, "", key));
  return checks;
}

/** Who the request runs as once every check passed. */
export function impersonatedUser(wanted: ImpersonationRequest): UserInfo {
  const name = wanted.user ?? "";
  const groups = [...wanted.groups];
  if (name.startsWith(ServiceAccountUserPrefix) && groups.length === 0) {
    const namespace = name.slice(ServiceAccountUserPrefix.length).split(":")[0];
    groups.push(AllServiceAccounts, `${AllServiceAccounts}:${namespace}`);
  }
  if (name !== Anonymous && !groups.includes(AllAuthenticated)) groups.push(AllAuthenticated);
  return {
    name,
    groups,
    ...(wanted.uid !== undefined ? { uid: wanted.uid } : {}),
    ...(Object.keys(wanted.extra).length > 0 ? { extra: wanted.extra } : {}),
  };
}

/** upstream's unescapeExtraKey: %-escapes decoded; a malformed key is kept as sent, never an error. */
function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}
