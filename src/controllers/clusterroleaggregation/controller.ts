// The clusterrole-aggregation controller (upstream pkg/controller/clusterroleaggregation): keeps the rules of every
// ClusterRole with an aggregationRule (admin, edit, view, and any a cluster admin writes) the union of the rules of
// the ClusterRoles its selectors match, so a ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-view=true
// extends view. Decision: sync.ts.
import type { ClusterRole } from "../../api/rbac/types.js";
import { rbacGroup } from "../../api/rbac/types.js";
import type { ResourceDescriptor, StartLoop } from "../../client/index.js";
import { WorkQueue, removeWhenAborted, stopped } from "../../client/index.js";
import type { LoopContext } from "../common/context.js";
import { syncClusterRole } from "./sync.js";

/** ClusterRoles on the wire (the client's table keeps the storage kinds; this loop is the one reader of RBAC). */
export const clusterRoleResource: ResourceDescriptor<ClusterRole, false> = {
  group: rbacGroup,
  version: "v1",
  kind: "ClusterRole",
  plural: "clusterroles",
  namespaced: false,
};

export const startClusterRoleAggregation: StartLoop<LoopContext> = async (ctx, signal) => {
  const { client, informers, log } = ctx;
  const roles = client.resource(clusterRoleResource);
  const lister = informers.informerFor(roles);
  const queue = new WorkQueue<string>({ name: "clusterrole-aggregation", log });
  // Any ClusterRole's change may change any aggregated one's rules; there are few ClusterRoles, so, as upstream,
  // every ClusterRole with an aggregationRule is looked at again.
  const enqueueAggregated = () => {
    for (const role of lister.list()) if (role.aggregationRule) queue.add(role.metadata.name ?? "");
  };
  removeWhenAborted(signal, [lister.onChange(enqueueAggregated)]);

  informers.start(signal);
  if (!(await informers.waitForSync(signal))) return stopped;
  // upstream's single worker: aggregated roles feed each other (view into edit into admin), one at a time converges
  return { done: queue.work(signal, (name) => syncClusterRole({ clusterRoles: roles, lister }, name), 1) };
};
