// Security for one apiserver: the caches authorization reads (RBAC objects; pods, claims, volumes and attachments
// for the Node authorizer), fed from the store, and upstream's bootstrap policy created when RBAC is on. What exists
// is reconciled as upstream does: a role or binding annotated rbac.authorization.kubernetes.io/autoupdate=true gets
// the permissions and subjects a newer stowage added; one a cluster admin set to "false" keeps its edits.
import type { KubeObject } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import type { Store } from "../../store/store.js";
import { StatusError } from "../errors.js";
import type { GenericRegistry } from "../registry/generic.js";
import { listPrefix } from "../registry/keys.js";
import type { ClusterRole, ClusterRoleBinding } from "../../api/rbac/types.js";
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from "./bootstrap.js";
import { feedFromStore } from "./feed.js";
import { RequestGate, type SecurityOptions } from "./gate.js";
import { NodeGraph, type GraphObject } from "./nodegraph.js";
import { RbacPolicyCache } from "./policycache.js";

type Find = (group: string, plural: string) => GenericRegistry | undefined;

export async function startSecurity(
  options: SecurityOptions,
  store: Store,
  find: Find,
  signal: AbortSignal,
  log: (message: string, err?: unknown) => void,
): Promise<RequestGate> {
  const policy = new RbacPolicyCache();
  const graph = new NodeGraph();
  const feeds: Promise<void>[] = [];
  const feed = (group: string, plural: string, apply: (object: KubeObject, deleted: boolean) => void) => {
    const registry = find(group, plural);
    if (registry)
      feeds.push(feedFromStore(store, listPrefix(registry.def as ResourceDefinition, undefined), apply, signal, log));
  };
  const rbac = "rbac.authorization.k8s.io";
  for (const plural of ["roles", "clusterroles", "rolebindings", "clusterrolebindings"]) {
    feed(rbac, plural, (object, deleted) =>
      policy.apply(
        object.kind,
        object.metadata.namespace ?? "",
        object.metadata.name ?? "",
        deleted ? undefined : (object as Parameters<RbacPolicyCache["apply"]>[3]),
      ),
    );
  }
  if (options.authorization.includes("Node")) {
    const graphFeed = (group: string, plural: string, kind: GraphObject["kind"]) =>
      feed(group, plural, (object, deleted) => graph.apply({ kind, object } as GraphObject, deleted));
    graphFeed("", "pods", "Pod");
    graphFeed("", "persistentvolumeclaims", "PersistentVolumeClaim");
    graphFeed("", "persistentvolumes", "PersistentVolume");
    graphFeed("storage.k8s.io", "volumeattachments", "VolumeAttachment");
  }
  if (options.authorization.includes("RBAC")) await ensureBootstrapPolicy(find);
  await Promise.all(feeds);
  return new RequestGate(options, policy, graph);
}

async function ensureBootstrapPolicy(find: Find): Promise<void> {
  const ensure = async (
    plural: string,
    objects: KubeObject[],
    reconcile: (current: KubeObject, want: KubeObject) => KubeObject | undefined,
  ) => {
    const registry = find("rbac.authorization.k8s.io", plural);
    if (!registry) return;
    for (const object of objects) {
      try {
        await registry.create(undefined, object, { dryRun: false });
        continue;
      } catch (err) {
        if (!(err instanceof StatusError && err.reason === "AlreadyExists")) throw err;
      }
      const current = await registry.get(undefined, object.metadata.name ?? "");
      // upstream reconciles only what a cluster admin left to it (autoupdate "true"); an edited role keeps its edits
      if (current.metadata.annotations?.[autoupdateAnnotation] !== "true") continue;
      const updated = reconcile(current, object);
      if (updated) await registry.update(undefined, object.metadata.name ?? "", updated, { dryRun: false });
    }
  };
  // an aggregated role's rules are the aggregation controller's to keep, as upstream leaves them
  await ensure("clusterroles", bootstrapClusterRoles(), (current, want) =>
    (want as ClusterRole).aggregationRule
      ? undefined
      : withMissing(current, "rules", (want as ClusterRole).rules ?? []),
  );
  await ensure("clusterrolebindings", bootstrapClusterRoleBindings(), (current, want) =>
    withMissing(current, "subjects", (want as ClusterRoleBinding).subjects ?? []),
  );
}

const autoupdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";

/**
 * A bootstrap role or binding from an older stowage, with what this version adds to it (upstream's reconciliation
 * adds missing permissions and subjects, never removes any); undefined when nothing is missing.
 */
function withMissing<T>(current: KubeObject, field: "rules" | "subjects", wanted: T[]): KubeObject | undefined {
  const have = ((current as unknown as Record<string, T[] | undefined>)[field] ?? []) as T[];
  const known = new Set(have.map((item) => JSON.stringify(item)));
  const missing = wanted.filter((item) => !known.has(JSON.stringify(item)));
  return missing.length ? ({ ...current, [field]: [...have, ...missing] } as KubeObject) : undefined;
}
