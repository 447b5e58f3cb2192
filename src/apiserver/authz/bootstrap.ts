// upstream's bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the ClusterRoles and
// ClusterRoleBindings every cluster starts with, labelled kubernetes.io/bootstrapping=rbac-defaults, plus the
// ClusterRoles the CSI sidecars ship in their deploy/kubernetes/rbac.yaml. Only the parts of upstream's policy
// that name resources stowage serves, or that users and tools check for (admin, edit, view), are kept.
import type { ClusterRole, ClusterRoleBinding, PolicyRule, Subject } from "../../api/rbac/types.js";
import { rbacGroup } from "../../api/rbac/types.js";
import { controllerRoleBindings, controllerRoles } from "./controllerroles.js";
import {
  AllAuthenticated,
  AllUnauthenticated,
  KubeControllerManager,
  KubeScheduler,
  SystemMasters,
} from "../../api/user.js";

const Read = ["get", "list", "watch"];
const Write = ["create", "update", "patch", "delete", "deletecollection"];
const ReadWrite = [...Read, ...Write];
const ReadUpdate = [...Read, "update", "patch"];

const core = "";
const apps = "apps";
const batch = "batch";
const storage = "storage.k8s.io";
const snapshot = "snapshot.storage.k8s.io";
const coordination = "coordination.k8s.io";
const authorization = "authorization.k8s.io";
const authentication = "authentication.k8s.io";

function rule(verbs: string[], groups: string[], resources: string[], names?: string[]): PolicyRule {
  return { verbs, apiGroups: groups, resources, ...(names ? { resourceNames: names } : {}) };
}
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

export const bootstrapLabels = { "kubernetes.io/bootstrapping": "rbac-defaults" };
const autoupdate = { "rbac.authorization.kubernetes.io/autoupdate": "true" };
const aggregateTo = (role: string) => ({ [`rbac.authorization.k8s.io/aggregate-to-${role}`]: "true" });

function clusterRole(name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole {
  return {
    apiVersion: `${rbacGroup}/v1`,
    kind: "ClusterRole",
    metadata: { name, labels: { ...bootstrapLabels, ...labels }, annotations: autoupdate },
    rules,
  };
}

const eventsRule = rule(["create", "update", "patch"], [core, "events.k8s.io"], ["events"]);

/** The rules of the aggregated roles admin, edit and view come from these (upstream's aggregation). */
const aggregateToView: PolicyRule[] = [
  rule(
    Read,
    [core],
    [
      "pods",
      "replicationcontrollers",
      "replicationcontrollers/scale",
      "serviceaccounts",
      "services",
      "services/status",
      "endpoints",
      "persistentvolumeclaims",
      "persistentvolumeclaims/status",
      "configmaps",
    ],
  ),
  rule(
    Read,
    [core],
    [
      "limitranges",
      "resourcequotas",
      "bindings",
      "events",
      "pods/status",
      "resourcequotas/status",
      "namespaces/status",
      "replicationcontrollers/status",
      "pods/log",
    ],
  ),
  // read access to namespaces at the namespace scope means you can read *this* namespace
  rule(Read, [core], ["namespaces"]),
  rule(Read, ["discovery.k8s.io"], ["endpointslices"]),
  rule(
    Read,
    [apps],
    [
      "controllerrevisions",
      "statefulsets",
      "statefulsets/status",
      "statefulsets/scale",
      "daemonsets",
      "daemonsets/status",
      "deployments",
      "deployments/status",
      "deployments/scale",
      "replicasets",
      "replicasets/status",
      "replicasets/scale",
    ],
  ),
  rule(Read, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
  rule(Read, [batch], ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
  rule(Read, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
  rule(Read, ["networking.k8s.io"], ["networkpolicies", "ingresses", "ingresses/status"]),
];

const aggregateToEdit: PolicyRule[] = [
  // read on escalating resources
  rule(Read, [core], ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"]),
  rule(["impersonate"], [core], ["serviceaccounts"]),
  rule(Write, [core], ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
  rule(["create"], [core], ["pods/eviction"]),
  rule(
    Write,
    [core],
    [
      "replicationcontrollers",
      "replicationcontrollers/scale",
      "serviceaccounts",
      "services",
      "services/proxy",
      "persistentvolumeclaims",
      "configmaps",
      "secrets",
      "events",
    ],
  ),
  rule(["create"], [core], ["serviceaccounts/token"]),
  rule(
    Write,
    [apps],
    [
      "statefulsets",
      "statefulsets/scale",
      "daemonsets",
      "deployments",
      "deployments/scale",
      "deployments/rollback",
      "replicasets",
      "replicasets/scale",
    ],
  ),
  rule(Write, ["autoscaling"], ["horizontalpodautoscalers"]),
  rule(Write, [batch], ["jobs", "cronjobs"]),
  rule(Write, ["policy"], ["poddisruptionbudgets"]),
  rule(Write, ["networking.k8s.io"], ["networkpolicies", "ingresses"]),
  rule(Write, [coordination], ["leases"]),
];

const aggregateToAdmin: PolicyRule[] = [
  rule(["create"], [authorization], ["localsubjectaccessreviews"]),
  rule(ReadWrite, [rbacGroup], ["roles", "rolebindings"]),
];

/** upstream's NodeRules: what the Node authorizer lets a node do beyond the objects its pods reference. */
export const nodeRules: PolicyRule[] = [
  rule(["create"], [authentication], ["tokenreviews"]),
  rule(["create"], [authorization], ["subjectaccessreviews", "localsubjectaccessreviews"]),
  rule(Read, [core], ["services"]),
  rule(["create", "get", "list", "watch"], [core], ["nodes"]),
  rule(["update", "patch"], [core], ["nodes/status"]),
  rule(["update", "patch"], [core], ["nodes"]),
  rule(["create", "update", "patch"], [core], ["events"]),
  rule(Read, [core], ["pods"]),
  rule(["create", "delete"], [core], ["pods"]),
  rule(["update", "patch"], [core], ["pods/status"]),
  rule(["create"], [core], ["pods/eviction"]),
  rule(Read, [core], ["secrets", "configmaps"]),
  rule(["get"], [core], ["persistentvolumeclaims", "persistentvolumes"]),
  rule(["get"], [core], ["endpoints"]),
  rule(["create", "get", "list", "watch"], ["certificates.k8s.io"], ["certificatesigningrequests"]),
  rule(["get", "create", "update", "patch", "delete"], [coordination], ["leases"]),
  rule(["get"], [storage], ["volumeattachments"]),
  rule(["get", "update", "patch"], [core], ["persistentvolumeclaims/status"]),
  rule(["create"], [core], ["serviceaccounts/token"]),
  rule(["get", "watch", "list"], [storage], ["csidrivers"]),
  rule(["get", "create", "update", "patch", "delete"], [storage], ["csinodes"]),
];

export function bootstrapClusterRoles(): ClusterRole[] {
  const aggregated = (name: string, rules: PolicyRule[], labels: Record<string, string> = {}): ClusterRole => ({
    ...clusterRole(name, rules, labels),
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: aggregateTo(name) }] },
  });
  return [
    clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), urls(["*"], ["*"])]),
    clusterRole("system:discovery", [
      urls(
        ["get"],
        [
          "/livez",
          "/readyz",
          "/healthz",
          "/version",
          "/version/",
          "/openapi",
          "/openapi/*",
          "/api",
          "/api/*",
          "/apis",
          "/apis/*",
        ],
      ),
    ]),
    clusterRole("system:basic-user", [
      rule(["create"], [authorization], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
      rule(["create"], [authentication], ["selfsubjectreviews"]),
    ]),
    clusterRole("system:public-info-viewer", [
      urls(["get"], ["/livez", "/readyz", "/healthz", "/version", "/version/"]),
    ]),
    // who may scrape /metrics and the health checks' details: the group Prometheus' client certificate names
    clusterRole("system:monitoring", [
      urls(
        ["get"],
        ["/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*", "/healthz/*"],
      ),
    ]),
    // admin is edit plus granting; edit is view plus writing; view reads what does not escalate (no secrets)
    // in the order the aggregation controller gathers them (matching roles by name: edit, then system:aggregate-to-admin)
    aggregated("admin", [...aggregateToEdit, ...aggregateToView, ...aggregateToAdmin]),
    aggregated("edit", [...aggregateToEdit, ...aggregateToView], aggregateTo("admin")),
    aggregated("view", aggregateToView, aggregateTo("edit")),
    clusterRole("system:aggregate-to-admin", aggregateToAdmin, aggregateTo("admin")),
    clusterRole("system:aggregate-to-edit", aggregateToEdit, aggregateTo("edit")),
    clusterRole("system:aggregate-to-view", aggregateToView, aggregateTo("view")),
    clusterRole("system:node", nodeRules),
    clusterRole("system:kube-controller-manager", [
      eventsRule,
      rule(["create"], [coordination], ["leases"]),
      rule(["get", "update"], [coordination], ["leases"], ["kube-controller-manager"]),
      rule(["create"], [core], ["secrets", "serviceaccounts"]),
      rule(["delete"], [core], ["secrets"]),
      rule(["get"], [core], ["namespaces", "secrets", "serviceaccounts", "configmaps"]),
      rule(["update"], [core], ["secrets", "serviceaccounts"]),
      rule(["create"], [authentication], ["tokenreviews"]),
      rule(["create"], [authorization], ["subjectaccessreviews"]),
      // needed for all shared informers
      rule(["list", "watch"], ["*"], ["*"]),
      rule(["create"], [core], ["serviceaccounts/token"]),
    ]),
    clusterRole("system:kube-scheduler", [
      eventsRule,
      rule(["create"], [coordination], ["leases"]),
      rule(["get", "update"], [coordination], ["leases"], ["kube-scheduler"]),
      rule(Read, [core], ["nodes"]),
      rule(["get", "list", "watch", "delete"], [core], ["pods"]),
      rule(["create"], [core], ["pods/binding", "bindings"]),
      rule(["patch", "update"], [core], ["pods/status"]),
      rule(Read, [core], ["services", "replicationcontrollers"]),
      rule(Read, [apps, "extensions"], ["replicasets"]),
      rule(Read, [apps], ["statefulsets"]),
      rule(Read, ["policy"], ["poddisruptionbudgets"]),
      rule(Read, [core], ["persistentvolumeclaims", "persistentvolumes"]),
      rule(["create"], [authentication], ["tokenreviews"]),
      rule(["create"], [authorization], ["subjectaccessreviews"]),
      rule(Read, [storage], ["csinodes"]),
      rule(Read, [core], ["namespaces"]),
      rule(Read, [storage], ["csidrivers"]),
      rule(Read, [storage], ["csistoragecapacities"]),
    ]),
    clusterRole("system:volume-scheduler", [
      rule(ReadUpdate, [core], ["persistentvolumes"]),
      rule(Read, [storage], ["storageclasses"]),
      rule(ReadUpdate, [core], ["persistentvolumeclaims"]),
    ]),
    ...csiSidecarRoles(),
    ...controllerRoles((name) => clusterRole(name, []).metadata),
  ];
}

/** The ClusterRoles kubernetes-csi's sidecars ship (external-provisioner-runner …), as their rbac.yaml. */
function csiSidecarRoles(): ClusterRole[] {
  const sidecarEvents = rule(["list", "watch", "create", "update", "patch"], [core], ["events"]);
  const role = (name: string, rules: PolicyRule[]): ClusterRole => {
    const r = clusterRole(name, rules);
    r.metadata.labels = { "app.kubernetes.io/part-of": "stowage" };
    return r;
  };
  return [
    role("external-provisioner-runner", [
      // update as well as upstream's verbs: stowage's provisioner writes a volume's finalizers with an update
      rule(["get", "list", "watch", "create", "patch", "update", "delete"], [core], ["persistentvolumes"]),
      rule(["get", "list", "watch", "update"], [core], ["persistentvolumeclaims"]),
      rule(Read, [storage], ["storageclasses"]),
      sidecarEvents,
      rule(["get", "list"], [snapshot], ["volumesnapshots"]),
      rule(["get", "list"], [snapshot], ["volumesnapshotcontents"]),
      rule(Read, [storage], ["csinodes"]),
      rule(Read, [core], ["nodes"]),
      rule(Read, [storage], ["volumeattachments"]),
      rule(["get", "list", "watch", "create", "update", "patch", "delete"], [storage], ["csistoragecapacities"]),
      rule(["get"], [core], ["pods"]),
      rule(["get"], [apps], ["replicasets"]),
      // stowage's provisioner publishes capacity only for a CSIDriver with storageCapacity: true
      rule(Read, [storage], ["csidrivers"]),
    ]),
    role("external-attacher-runner", [
      rule(["get", "list", "watch", "patch"], [core], ["persistentvolumes"]),
      rule(Read, [storage], ["csinodes"]),
      rule(["get", "list", "watch", "patch"], [storage], ["volumeattachments"]),
      rule(["patch"], [storage], ["volumeattachments/status"]),
      // stowage's attacher finds a node's CSI node ID through the Node as well as its CSINode
      rule(Read, [core], ["nodes"]),
    ]),
    role("external-resizer-runner", [
      rule(["get", "list", "watch", "patch"], [core], ["persistentvolumes"]),
      rule(Read, [core], ["persistentvolumeclaims"]),
      rule(Read, [core], ["pods"]),
      // update as well as upstream's patch: stowage's resizer writes a claim's resize status with an update
      rule(["patch", "update"], [core], ["persistentvolumeclaims/status"]),
      sidecarEvents,
    ]),
    role("external-snapshotter-runner", [
      sidecarEvents,
      rule(Read, [snapshot], ["volumesnapshotclasses"]),
      rule(["get", "list", "watch", "update", "patch"], [snapshot], ["volumesnapshotcontents"]),
      rule(["update", "patch"], [snapshot], ["volumesnapshotcontents/status"]),
    ]),
    role("external-health-monitor-controller-runner", [
      rule(Read, [core], ["persistentvolumes"]),
      rule(Read, [core], ["persistentvolumeclaims"]),
      rule(Read, [core], ["nodes"]),
      rule(Read, [core], ["pods"]),
      rule(["get", "list", "watch", "create", "patch"], [core], ["events"]),
    ]),
  ];
}

function clusterRoleBinding(name: string, role: string, subjects: Subject[]): ClusterRoleBinding {
  return {
    apiVersion: `${rbacGroup}/v1`,
    kind: "ClusterRoleBinding",
    metadata: { name, labels: bootstrapLabels, annotations: autoupdate },
    roleRef: { apiGroup: rbacGroup, kind: "ClusterRole", name: role },
    subjects,
  };
}
const groups = (...names: string[]): Subject[] => names.map((name) => ({ kind: "Group", apiGroup: rbacGroup, name }));
const users = (...names: string[]): Subject[] => names.map((name) => ({ kind: "User", apiGroup: rbacGroup, name }));

export function bootstrapClusterRoleBindings(): ClusterRoleBinding[] {
  return [
    clusterRoleBinding("cluster-admin", "cluster-admin", groups(SystemMasters)),
    clusterRoleBinding("system:discovery", "system:discovery", groups(AllAuthenticated)),
    clusterRoleBinding("system:basic-user", "system:basic-user", groups(AllAuthenticated)),
    clusterRoleBinding(
      "system:public-info-viewer",
      "system:public-info-viewer",
      groups(AllAuthenticated, AllUnauthenticated),
    ),
    clusterRoleBinding("system:monitoring", "system:monitoring", groups("system:monitoring")),
    clusterRoleBinding(
      "system:kube-controller-manager",
      "system:kube-controller-manager",
      users(KubeControllerManager),
    ),
    clusterRoleBinding("system:kube-scheduler", "system:kube-scheduler", users(KubeScheduler)),
    clusterRoleBinding("system:volume-scheduler", "system:volume-scheduler", users(KubeScheduler)),
    // upstream keeps this binding with no subjects: the Node authorizer, not RBAC, decides for nodes
    clusterRoleBinding("system:node", "system:node", []),
    ...controllerRoleBindings((name) => clusterRoleBinding(name, name, []).metadata),
    // the sidecars' rbac.yaml bind their runner roles to their ServiceAccounts (here in kube-system)
    ...csiSidecars.map(([serviceAccount, role]) =>
      clusterRoleBinding(`${serviceAccount}-role`, role, [
        { kind: "ServiceAccount", name: serviceAccount, namespace: "kube-system" },
      ]),
    ),
  ];
}

/** Each CSI sidecar's ServiceAccount (kube-system) and the ClusterRole its rbac.yaml binds it to. */
export const csiSidecars: ReadonlyArray<readonly [string, string]> = [
  ["csi-provisioner", "external-provisioner-runner"],
  ["csi-attacher", "external-attacher-runner"],
  ["csi-resizer", "external-resizer-runner"],
  ["csi-snapshotter", "external-snapshotter-runner"],
  ["csi-external-health-monitor-controller", "external-health-monitor-controller-runner"],
];
