// The RBAC objects the authorizer reads, kept in memory: the apiserver fills it from its store and keeps it
// current from the store's watch, so authorizing a request never reads the store.
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "../../api/rbac/types.js";
import type { RbacPolicy } from "./rbac.js";

type RbacObject = Role | ClusterRole | RoleBinding | ClusterRoleBinding;

export class RbacPolicyCache implements RbacPolicy {
  private readonly clusterRoleMap = new Map<string, ClusterRole>();
  private readonly clusterRoleBindingMap = new Map<string, ClusterRoleBinding>();
  /** namespace → name → object */
  private readonly roleMap = new Map<string, Map<string, Role>>();
  private readonly roleBindingMap = new Map<string, Map<string, RoleBinding>>();

  /** Adds or replaces an RBAC object (by its kind); undefined removes it. */
  apply(kind: string, namespace: string, name: string, object: RbacObject | undefined): void {
    switch (kind) {
      case "ClusterRole":
        return set(this.clusterRoleMap, name, object as ClusterRole | undefined);
      case "ClusterRoleBinding":
        return set(this.clusterRoleBindingMap, name, object as ClusterRoleBinding | undefined);
      case "Role":
        return set(inNamespace(this.roleMap, namespace), name, object as Role | undefined);
      case "RoleBinding":
        return set(inNamespace(this.roleBindingMap, namespace), name, object as RoleBinding | undefined);
    }
  }

  clusterRoleBindings(): Iterable<ClusterRoleBinding> {
    return this.clusterRoleBindingMap.values();
  }
  roleBindings(namespace: string): Iterable<RoleBinding> {
    return this.roleBindingMap.get(namespace)?.values() ?? [];
  }
  clusterRole(name: string): ClusterRole | undefined {
    return this.clusterRoleMap.get(name);
  }
  role(namespace: string, name: string): Role | undefined {
    return this.roleMap.get(namespace)?.get(name);
  }
}

function set<T>(map: Map<string, T>, name: string, object: T | undefined): void {
  if (object === undefined) map.delete(name);
  else map.set(name, object);
}

function inNamespace<T>(map: Map<string, Map<string, T>>, namespace: string): Map<string, T> {
  let inner = map.get(namespace);
  if (!inner) map.set(namespace, (inner = new Map()));
  return inner;
}
