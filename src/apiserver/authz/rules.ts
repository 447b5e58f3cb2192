// Does one RBAC rule cover a request? upstream's rbac/v1 helpers (VerbMatches, APIGroupMatches, ResourceMatches,
// ResourceNameMatches, NonResourceURLMatches) — the semantics every Role in the wild is written against.
import type { PolicyRule } from "../../api/rbac/types.js";
import type { RequestAttributes } from "../../api/user.js";

const all = "*";

const verbMatches = (rule: PolicyRule, verb: string) => rule.verbs.includes(all) || rule.verbs.includes(verb);

const groupMatches = (rule: PolicyRule, group: string) => (rule.apiGroups ?? []).some((g) => g === all || g === group);

function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return (rule.resources ?? []).some((r) => {
    if (r === all || r === combined) return true;
    // "*/scale" covers the scale subresource of every resource
    return subresource !== "" && r === `${all}/${subresource}`;
  });
}

/** An empty resourceNames list covers every name; otherwise only requests naming one of them. */
const nameMatches = (rule: PolicyRule, name: string) =>
  !rule.resourceNames?.length || rule.resourceNames.includes(name);

function urlMatches(rule: PolicyRule, path: string): boolean {
  return (rule.nonResourceURLs ?? []).some(
    (url) => url === all || url === path || (url.endsWith(all) && path.startsWith(url.replace(/\*+$/, ""))),
  );
}

export function ruleAllows(request: RequestAttributes, rule: PolicyRule): boolean {
  if (request.resourceRequest) {
    return (
      verbMatches(rule, request.verb) &&
      groupMatches(rule, request.apiGroup) &&
      resourceMatches(rule, request.resource, request.subresource) &&
      nameMatches(rule, request.name)
    );
  }
  return verbMatches(rule, request.verb) && urlMatches(rule, request.path);
}
