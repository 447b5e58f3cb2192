// NodeRestriction's decisions, one row per case of upstream's plugin: what node n1 may write, and the Forbidden
// message when it may not. Objects it reads (its Node, pods) come from a small in-memory reader.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Pod } from "../../api/core/types.js";
import type { KubeObject } from "../../api/meta.js";
import { findResource } from "../../api/resources.js";
import type { UserInfo } from "../../api/user.js";
import { StatusError } from "../errors.js";
import { mirrorPodAnnotation, nodeRestriction } from "./noderestriction.js";
import type { AdmissionAttributes, ObjectReader, Operation } from "./types.js";

const n1: UserInfo = { name: "system:node:n1", groups: ["system:nodes", "system:authenticated"] };
const nodeObject: KubeObject = { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "uid-n1" } };
const pod = (
  name: string,
  node: string,
  extra: Partial<Pod["spec"]> = {},
  meta: Partial<Pod["metadata"]> = {},
): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", uid: `uid-${name}`, ...meta },
  spec: { nodeName: node, containers: [{ name: "app", image: "busybox" }], ...extra },
});
const stored: Record<string, KubeObject> = {
  "nodes//n1": nodeObject,
  "pods/default/mine": pod("mine", "n1"),
  "pods/default/theirs": pod("theirs", "n2"),
};
const reader: ObjectReader = {
  get: async (_group, plural, namespace, name) => stored[`${plural}/${namespace ?? ""}/${name}`],
  list: async () => [],
};
const mirror = (extra: Partial<Pod["spec"]> = {}, owner: Record<string, unknown> = {}) =>
  pod("static-web-n1", "n1", extra, {
    annotations: { [mirrorPodAnnotation]: "hash" },
    ownerReferences: [{ apiVersion: "v1", kind: "Node", name: "n1", uid: "uid-n1", controller: true, ...owner }],
  });

interface Row {
  name: string;
  resource: [group: string, version: string, plural: string];
  operation: Operation;
  subresource?: string;
  namespace?: string;
  objectName: string;
  object?: KubeObject;
  old?: KubeObject;
  user?: UserInfo;
  /** The Forbidden (or NotFound) message, or undefined when allowed. */
  want?: string;
}

const core = (plural: string): Row["resource"] => ["", "v1", plural];
const rows: Row[] = [
  {
    name: "a mirror pod of its own is allowed",
    resource: core("pods"),
    operation: "CREATE",
    objectName: "static-web-n1",
    object: mirror(),
  },
  {
    name: "a pod without the mirror annotation is refused",
    resource: core("pods"),
    operation: "CREATE",
    objectName: "web",
    object: pod("web", "n1"),
    want: 'pods "web" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods',
  },
  {
    name: "a mirror pod owned by another Node is refused",
    resource: core("pods"),
    operation: "CREATE",
    objectName: "static-web-n1",
    object: mirror({}, { name: "n2" }),
    want: 'pods "static-web-n1" is forbidden: node "n1" can only create pods with an owner reference set to itself',
  },
  {
    name: "a mirror pod with a stale Node uid is refused",
    resource: core("pods"),
    operation: "CREATE",
    objectName: "static-web-n1",
    object: mirror({}, { uid: "old" }),
    want: 'pods "static-web-n1" is forbidden: node n1 UID mismatch: expected old got uid-n1',
  },
  {
    name: "a mirror pod naming a claim is refused",
    resource: core("pods"),
    operation: "CREATE",
    objectName: "static-web-n1",
    object: mirror({ volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }] }),
    want: 'pods "static-web-n1" is forbidden: node "n1" can not create pods that reference persistentvolumeclaims',
  },
  {
    name: "a mirror pod naming a secret is refused",
    resource: core("pods"),
    operation: "CREATE",
    objectName: "static-web-n1",
    object: mirror({ volumes: [{ name: "s", secret: { secretName: "token" } }] }),
    want: 'pods "static-web-n1" is forbidden: node "n1" can not create pods that reference secrets',
  },
  {
    name: "deleting its own pod is allowed",
    resource: core("pods"),
    operation: "DELETE",
    objectName: "mine",
    old: stored["pods/default/mine"],
  },
  {
    name: "deleting another node's pod is refused (a delete names no object: Unknown)",
    resource: core("pods"),
    operation: "DELETE",
    objectName: "theirs",
    old: stored["pods/default/theirs"],
    want: 'pods "Unknown" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself',
  },
  {
    name: "updating a pod's spec is refused",
    resource: core("pods"),
    operation: "UPDATE",
    objectName: "mine",
    object: stored["pods/default/mine"],
    old: stored["pods/default/mine"],
    want: 'pods "mine" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods',
  },
  {
    name: "its own pod's status may not relabel the pod",
    resource: core("pods"),
    operation: "UPDATE",
    subresource: "status",
    objectName: "mine",
    object: pod("mine", "n1", {}, { labels: { role: "db" } }),
    old: stored["pods/default/mine"],
    want: 'pods "mine" is forbidden: node "n1" cannot update labels through pod status',
  },
  {
    name: "evicting another node's pod is refused",
    resource: core("pods"),
    operation: "CREATE",
    subresource: "eviction",
    objectName: "theirs",
    object: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: "theirs" } },
    want: 'pods "theirs" is forbidden: node n1 can only evict pods with spec.nodeName set to itself',
  },
  {
    name: "a token bound to its own pod is allowed",
    resource: core("serviceaccounts"),
    operation: "CREATE",
    subresource: "token",
    objectName: "default",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "mine", uid: "uid-mine" }),
  },
  {
    name: "a token bound to another node's pod is refused",
    resource: core("serviceaccounts"),
    operation: "CREATE",
    subresource: "token",
    objectName: "default",
    object: tokenRequest({ apiVersion: "v1", kind: "Pod", name: "theirs", uid: "uid-theirs" }),
    want: 'serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node',
  },
  {
    name: "a token bound to no pod is refused",
    resource: core("serviceaccounts"),
    operation: "CREATE",
    subresource: "token",
    objectName: "default",
    object: tokenRequest(undefined),
    want: 'serviceaccounts "default" is forbidden: node requested token not bound to a pod',
  },
  {
    name: "another node's Lease is refused",
    resource: ["coordination.k8s.io", "v1", "leases"],
    operation: "UPDATE",
    namespace: "kube-node-lease",
    objectName: "n2",
    object: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "n2" } },
    want: 'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node',
  },
  {
    name: "a Lease outside kube-node-lease is refused",
    resource: ["coordination.k8s.io", "v1", "leases"],
    operation: "CREATE",
    namespace: "default",
    objectName: "n1",
    object: { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "n1" } },
    want: 'leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace',
  },
  {
    name: "its own CSINode is allowed",
    resource: ["storage.k8s.io", "v1", "csinodes"],
    operation: "CREATE",
    objectName: "n1",
    object: { apiVersion: "storage.k8s.io/v1", kind: "CSINode", metadata: { name: "n1" } },
  },
  {
    name: "a claim's status may change capacity and conditions only",
    resource: core("persistentvolumeclaims"),
    operation: "UPDATE",
    subresource: "status",
    objectName: "data",
    object: claim({ capacity: { storage: "2Gi" } }, { team: "a" }),
    old: claim({ capacity: { storage: "1Gi" } }),
    want: 'persistentvolumeclaims "data" is forbidden: node "n1" is not allowed to update fields other than status.capacity and status.conditions: metadata',
  },
  {
    name: "a user named like a node without a name is refused",
    resource: core("nodes"),
    operation: "UPDATE",
    objectName: "n1",
    object: nodeObject,
    old: nodeObject,
    user: { name: "system:node:", groups: ["system:nodes"] },
    want: 'nodes "n1" is forbidden: could not determine node from user "system:node:"',
  },
  {
    name: "anyone not a node passes",
    resource: core("nodes"),
    operation: "DELETE",
    objectName: "n2",
    user: { name: "alice", groups: [] },
  },
];

function tokenRequest(boundObjectRef: Record<string, string> | undefined): KubeObject {
  return {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    metadata: { name: "default" },
    spec: { boundObjectRef },
  } as KubeObject;
}
function claim(status: Record<string, unknown>, labels?: Record<string, string>): KubeObject {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "data", namespace: "default", labels },
    spec: {},
    status,
  } as KubeObject;
}

for (const row of rows) {
  test(row.name, async () => {
    const def = findResource(...row.resource);
    assert.ok(def);
    const attrs: AdmissionAttributes = {
      operation: row.operation,
      def,
      namespace: row.namespace ?? (def.namespaced ? "default" : undefined),
      name: row.objectName,
      subresource: row.subresource ?? "",
      object: row.object,
      old: row.old,
      dryRun: false,
      user: row.user ?? n1,
      warnings: [],
      auditAnnotations: {},
    };
    const outcome = await nodeRestriction.admit!(attrs, reader).then(
      () => undefined,
      (err: unknown) => (err instanceof StatusError ? err.message : String(err)),
    );
    assert.equal(outcome, row.want);
  });
}
