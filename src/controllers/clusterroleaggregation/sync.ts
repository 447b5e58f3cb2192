// The clusterrole-aggregation decision for one ClusterRole (upstream's clusterroleaggregation_controller.go
// syncClusterRole): a ClusterRole with an aggregationRule gets as its rules the union of the rules of every other
// ClusterRole one of its selectors matches — selectors in order, matched roles by name, each rule once.
import type { ClusterRole, PolicyRule } from "../../api/rbac/types.js";
import { labelMatcherFromSelector } from "../../api/selectors/labels.js";
import { deepEqual } from "../../api/validation/meta.js";
import type { ClusterResourceClient, Lister } from "../../client/index.js";
import { isNotFound } from "../../client/index.js";

export interface AggregationSync {
  clusterRoles: ClusterResourceClient<ClusterRole>;
  lister: Lister<ClusterRole>;
}

/** The rules an aggregated ClusterRole should have, from the ClusterRoles it selects (never itself). */
export function aggregatedRules(role: ClusterRole, all: readonly ClusterRole[]): PolicyRule[] {
  const rules: PolicyRule[] = [];
  const byName = [...all].sort((a, b) => ((a.metadata.name ?? "") < (b.metadata.name ?? "") ? -1 : 1));
  for (const selector of role.aggregationRule?.clusterRoleSelectors ?? []) {
    const matcher = labelMatcherFromSelector(selector);
    for (const other of byName) {
      if (other.metadata.name === role.metadata.name || !matcher.matches(other.metadata.labels)) continue;
      for (const rule of other.rules ?? []) if (!rules.some((r) => deepEqual(r, rule))) rules.push(rule);
    }
  }
  return rules;
}

/** Writes the aggregated rules when they differ; a 409 throws and the queue retries against the fresh role. */
export async function syncClusterRole(ctx: AggregationSync, name: string): Promise<void> {
  const role = ctx.lister.get(name);
  if (!role?.aggregationRule) return;
  const rules = aggregatedRules(role, ctx.lister.list());
  if (deepEqual(rules, role.rules ?? [])) return;
  try {
    await ctx.clusterRoles.update({ ...structuredClone(role), rules });
  } catch (err) {
    if (!isNotFound(err)) throw err; // deleted meanwhile: nothing left to aggregate into
  }
}
