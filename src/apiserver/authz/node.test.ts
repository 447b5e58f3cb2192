// The Node authorizer: what node n1 may read and write, each row as upstream's graph answers it.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { RequestAttributes } from "../../api/user.js";
import { authorizeNode } from "./node.js";
import { NodeGraph } from "./nodegraph.js";

const pod = (name: string, node: string, spec: Partial<Pod["spec"]>): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "team" },
  spec: { nodeName: node, containers: [{ name: "app", image: "busybox" }], ...spec },
});
const graph = new NodeGraph();
graph.apply({
  kind: "Pod",
  object: pod("db-0", "n1", {
    volumes: [
      { name: "data", persistentVolumeClaim: { claimName: "data-db-0" } },
      { name: "conf", configMap: { name: "db-conf" } },
      { name: "tls", projected: { sources: [{ secret: { name: "db-tls" } }] } },
    ],
    containers: [
      {
        name: "db",
        image: "mysql",
        env: [{ name: "PW", valueFrom: { secretKeyRef: { name: "db-password", key: "pw" } } }],
      },
    ],
    serviceAccountName: "db",
  }),
});
graph.apply({
  kind: "Pod",
  object: pod("web-0", "n2", { volumes: [{ name: "s", secret: { secretName: "web-secret" } }] }),
});
graph.apply({
  kind: "Pod",
  object: pod("pending", "", { volumes: [{ name: "s", secret: { secretName: "pending-secret" } }] }),
});
const claim: PersistentVolumeClaim = {
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data-db-0", namespace: "team" },
  spec: { volumeName: "pv-data", accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
};
graph.apply({ kind: "PersistentVolumeClaim", object: claim });
const volume: PersistentVolume = {
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: { name: "pv-data" },
  spec: {
    capacity: { storage: "1Gi" },
    accessModes: ["ReadWriteOnce"],
    csi: {
      driver: "block.csi.stowage.dev",
      volumeHandle: "v1",
      nodeStageSecretRef: { name: "stage-key", namespace: "storage" },
    },
  },
};
graph.apply({ kind: "PersistentVolume", object: volume });

const n1 = { name: "system:node:n1", groups: ["system:nodes", "system:authenticated"] };
const attrs = (verb: string, target: string, namespace = "", name = "", user = n1): RequestAttributes => {
  const [group, resource, subresource = ""] = target.split("/");
  return { user, verb, resourceRequest: true, apiGroup: group, resource, subresource, namespace, name, path: "" };
};

const rows: [string, RequestAttributes, boolean, string?][] = [
  ["reads a Secret its pod mounts through a projected volume", attrs("get", "/secrets", "team", "db-tls"), true],
  ["reads a Secret its pod's env names", attrs("watch", "/secrets", "team", "db-password"), true],
  ["reads the ConfigMap its pod mounts", attrs("get", "/configmaps", "team", "db-conf"), true],
  [
    "reads its pod's claim and the volume bound to it",
    attrs("get", "/persistentvolumeclaims", "team", "data-db-0"),
    true,
  ],
  ["gets the PersistentVolume bound to its pod's claim", attrs("get", "/persistentvolumes", "", "pv-data"), true],
  ["reads the Secret that volume's CSI stage step needs", attrs("get", "/secrets", "storage", "stage-key"), true],
  [
    "updates its pod's claim's status (expansion)",
    attrs("patch", "/persistentvolumeclaims/status", "team", "data-db-0"),
    true,
  ],
  ["creates a token for its pod's ServiceAccount", attrs("create", "/serviceaccounts/token", "team", "db"), true],
  ["renews its own Lease", attrs("update", "coordination.k8s.io/leases", "kube-node-lease", "n1"), true],
  ["patches its own CSINode", attrs("patch", "storage.k8s.io/csinodes", "", "n1"), true],
  [
    "updates its Node's status (NodeRestriction narrows it to its own)",
    attrs("patch", "/nodes/status", "", "n1"),
    true,
  ],
  ["lists pods (upstream's node rules)", attrs("list", "/pods"), true],
  [
    "may not read a Secret of a pod on another node",
    attrs("get", "/secrets", "team", "web-secret"),
    false,
    "no relationship found between node 'n1' and this object",
  ],
  ["may not read a Secret of a pod not yet scheduled", attrs("get", "/secrets", "team", "pending-secret"), false],
  ["may not list all Secrets", attrs("list", "/secrets", "team"), false, "No Object name found"],
  [
    "may not list PersistentVolumes",
    attrs("list", "/persistentvolumes"),
    false,
    "can only get individual resources of this type",
  ],
  [
    "may not update another node's Lease",
    attrs("update", "coordination.k8s.io/leases", "kube-node-lease", "n2"),
    false,
    "can only access node lease with the same name as the requesting node",
  ],
  ["may not touch another node's CSINode", attrs("update", "storage.k8s.io/csinodes", "", "n2"), false],
  ["may not delete PersistentVolumes", attrs("delete", "/persistentvolumes", "", "pv-data"), false],
  ["may not create StorageClasses", attrs("create", "storage.k8s.io/storageclasses"), false],
];
for (const [name, request, allowed, reason] of rows) {
  test(`node n1 ${name}`, () => {
    const decision = authorizeNode(graph, request);
    assert.equal(decision.allowed, allowed);
    if (reason !== undefined) assert.equal(decision.reason, reason);
  });
}

test("the Node authorizer has no opinion on users that are not nodes", () => {
  const alice = { name: "alice", groups: ["system:authenticated"] };
  assert.deepEqual(authorizeNode(graph, attrs("get", "/secrets", "team", "db-tls", alice)), {
    allowed: false,
    reason: "",
  });
});

test("a pod deleted from the graph takes its node's access with it", () => {
  const g = new NodeGraph();
  const p = pod("p", "n1", { volumes: [{ name: "s", secret: { secretName: "s1" } }] });
  g.apply({ kind: "Pod", object: p });
  assert.equal(g.reaches("n1", "secrets", "team", "s1"), true);
  g.apply({ kind: "Pod", object: p }, true);
  assert.equal(g.reaches("n1", "secrets", "team", "s1"), false);
});
