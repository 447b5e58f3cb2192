// Privilege-escalation prevention's arithmetic, as upstream's pkg/registry/rbac/validation (Covers, BreakdownRule,
// CompactRules, ConfirmNoEscalation): do the rules a user holds cover the rules a Role would grant, and if not, the
// uncovered rest, compacted and worded as the Forbidden message kubectl prints.
import type { PolicyRule } from "../../api/rbac/types.js";
import { aggregate, goQuote } from "../../api/selectors/validation.js";
import type { UserInfo } from "../../api/user.js";

const all = "*";

const has = (set: readonly string[] | undefined, item: string) => (set ?? []).includes(item);
const hasAll = (set: readonly string[] | undefined, items: readonly string[] | undefined) =>
  (items ?? []).every((item) => has(set, item));

/** Every wanted resource held: exactly, by "*", or a subresource by "*\/subresource". */
function resourcesCovered(owned: string[] | undefined, wanted: string[] | undefined): boolean {
  if (has(owned, all) || hasAll(owned, wanted)) return true;
  return (wanted ?? []).every((path) => {
    if (has(owned, path)) return true;
    const slash = path.indexOf("/");
    return slash >= 0 && has(owned, `${all}/${path.slice(slash + 1)}`);
  });
}

const urlCovers = (owned: string, path: string) =>
  owned === path || (owned.endsWith(all) && path.startsWith(owned.replace(/\*+$/, "")));

const urlsCovered = (owned: string[] | undefined, wanted: string[] | undefined) =>
  (wanted ?? []).every((path) => (owned ?? []).some((o) => urlCovers(o, path)));

/** upstream's ruleCovers: one held rule covers one broken-down rule. */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = has(owner.verbs, all) || hasAll(owner.verbs, sub.verbs);
  const groups = has(owner.apiGroups, all) || hasAll(owner.apiGroups, sub.apiGroups);
  const ownerNames = owner.resourceNames ?? [];
  // a rule for every name is covered only by a rule for every name
  const names = sub.resourceNames?.length
    ? !ownerNames.length || hasAll(ownerNames, sub.resourceNames)
    : !ownerNames.length;
  return (
    verbs &&
    groups &&
    names &&
    resourcesCovered(owner.resources, sub.resources) &&
    urlsCovered(owner.nonResourceURLs, sub.nonResourceURLs)
  );
}

/** One rule per group × resource × verb (× name), and per URL × verb: what Covers checks one at a time. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const subrules: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? [])
    for (const resource of rule.resources ?? [])
      for (const verb of rule.verbs) {
        const base = { apiGroups: [group], resources: [resource], verbs: [verb] };
        if (rule.resourceNames?.length)
          for (const name of rule.resourceNames) subrules.push({ ...base, resourceNames: [name] });
        else subrules.push(base);
      }
  for (const url of rule.nonResourceURLs ?? [])
    for (const verb of rule.verbs) subrules.push({ nonResourceURLs: [url], verbs: [verb] });
  return subrules;
}

/** The parts of `wanted` no rule in `owned` covers (empty: owned covers wanted). */
export function uncovered(owned: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  return wanted.flatMap(breakdownRule).filter((sub) => !owned.some((owner) => ruleCovers(owner, sub)));
}

/** upstream's CompactRules: rules naming one group, one resource and at most one name merge their verbs. */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const compacted: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const isSimple =
      (rule.resourceNames?.length ?? 0) <= 1 &&
      !rule.nonResourceURLs?.length &&
      rule.apiGroups?.length === 1 &&
      rule.resources?.length === 1;
    if (!isSimple) {
      compacted.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups, rule.resources, rule.resourceNames?.[0] ?? null]);
    const existing = simple.get(key);
    if (existing) existing.verbs = [...existing.verbs, ...rule.verbs];
    else simple.set(key, structuredClone(rule));
  }
  return [...compacted, ...simple.values()];
}

const goStrings = (values: readonly string[]) => `[${values.map(goQuote).join(" ")}]`;

/** upstream's CompactString: `{APIGroups:[""], Resources:["secrets"], Verbs:["delete"]}`, empty parts left out. */
export function compactString(rule: PolicyRule): string {
  const parts: [string, string[] | undefined][] = [
    ["APIGroups", rule.apiGroups],
    ["Resources", rule.resources],
    ["NonResourceURLs", rule.nonResourceURLs],
    ["ResourceNames", rule.resourceNames],
    ["Verbs", rule.verbs],
  ];
  const shown = parts.filter(([, values]) => values?.length).map(([name, values]) => `${name}:${goStrings(values!)}`);
  return `{${shown.join(", ")}}`;
}

/**
 * upstream's ConfirmNoEscalation: undefined when the held rules cover the wanted ones, else the reason a write is
 * refused, listing what is missing (sorted, one per line) and any binding whose role could not be read.
 */
export function escalationMessage(
  user: UserInfo,
  held: PolicyRule[],
  wanted: PolicyRule[],
  resolutionErrors: string[] = [],
): string | undefined {
  const missing = uncovered(held, wanted);
  if (!missing.length) return undefined;
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let message =
    `user ${goQuote(user.name)} (groups=${goStrings(user.groups)}) is attempting to grant RBAC permissions ` +
    `not currently held:\n${lines.join("\n")}`;
  if (resolutionErrors.length) message += `; resolution errors: [${aggregate(resolutionErrors)}]`;
  return message;
}
