// Who is asking: what authentication gives every request (k8s.io/apiserver/pkg/authentication/user).

export interface UserInfo {
  name: string;
  uid?: string;
  /** Includes system:authenticated (or system:unauthenticated) as upstream adds them. */
  groups: string[];
  extra?: Record<string, string[]>;
}

export const SystemMasters = "system:masters";
export const AllAuthenticated = "system:authenticated";
export const AllUnauthenticated = "system:unauthenticated";
export const Anonymous = "system:anonymous";
export const NodesGroup = "system:nodes";
export const NodeUserPrefix = "system:node:";
export const KubeControllerManager = "system:kube-controller-manager";
export const KubeScheduler = "system:kube-scheduler";
export const ServiceAccountUserPrefix = "system:serviceaccount:";
export const AllServiceAccounts = "system:serviceaccounts";

/** The user a ServiceAccount's token authenticates as. */
export const serviceAccountUser = (namespace: string, name: string): string =>
  `${ServiceAccountUserPrefix}${namespace}:${name}`;

/** What the request asks to do, as upstream's authorizer.Attributes. */
export interface RequestAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection (resources); get, post, … (paths). */
  verb: string;
  resourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
  /** Non-resource requests: the URL path. */
  path: string;
}

/** Who a ServiceAccount is once authenticated: its user and groups, as upstream's serviceaccount.UserInfo. */
export const serviceAccountUserInfo = (namespace: string, name: string): UserInfo => ({
  name: serviceAccountUser(namespace, name),
  groups: [AllServiceAccounts, `${AllServiceAccounts}:${namespace}`, AllAuthenticated],
});

/** Who a node is: system:node:<name> in system:nodes, what the Node authorizer recognises. */
export const nodeUserInfo = (nodeName: string): UserInfo => ({
  name: `${NodeUserPrefix}${nodeName}`,
  groups: [NodesGroup, AllAuthenticated],
});
