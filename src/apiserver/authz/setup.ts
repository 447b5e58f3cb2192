// Security for one apiserver: the caches authorization reads (RBAC objects; pods, claims, volumes and attachments
// for the Node authorizer), fed from the store, and upstream's bootstrap policy created when RBAC is on (what
// exists is kept: a cluster admin's edits to a bootstrap role stay, as with rbac.authorization.kubernetes.io/
// autoupdate=false upstream).
import type { KubeObject } from "../../api/meta.js";
import type { ResourceDefinition } from "../../api/resource.js";
import type { Store } from "../../store/store.js";
import { StatusError } from "../errors.js";
import type { GenericRegistry } from "../registry/generic.js";
import { listPrefix } from "../registry/keys.js";
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
  const create = async (plural: string, objects: KubeObject[]) => {
    const registry = find("rbac.authorization.k8s.io", plural);
    if (!registry) return;
    for (const object of objects) {
      try {
        await registry.create(undefined, object, { dryRun: false });
      } catch (err) {
        if (!(err instanceof StatusError && err.reason === "AlreadyExists")) throw err;
      }
    }
  };
  await create("clusterroles", bootstrapClusterRoles());
  await create("clusterrolebindings", bootstrapClusterRoleBindings());
}
