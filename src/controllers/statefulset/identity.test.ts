import assert from "node:assert/strict";
import { test } from "node:test";
import type { StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy } from "../../api/apps/types.js";
import type { PersistentVolumeClaim, Pod } from "../../api/core/types.js";
import type { OwnerReference } from "../../api/meta.js";
import { claimOwnerReferences, newClaim, newPod } from "./identity.js";

const set = (policy?: StatefulSetPersistentVolumeClaimRetentionPolicy): StatefulSet => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name: "mysql", namespace: "default", uid: "set-uid" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "mysql" } },
    template: {
      metadata: { labels: { app: "mysql" } },
      spec: {
        containers: [{ name: "mysql", image: "mysql:8.0" }],
        volumes: [{ name: "data", emptyDir: {} }],
      },
    },
    volumeClaimTemplates: [
      {
        metadata: { name: "data" },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    ],
    persistentVolumeClaimRetentionPolicy: policy,
  },
});

const pod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "mysql-1", uid: "pod-uid" },
  spec: { containers: [] },
};
const claim = (refs?: OwnerReference[]): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name: "data-mysql-1", ownerReferences: refs },
  spec: {},
});
const setRef = {
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  name: "mysql",
  uid: "set-uid",
  controller: true,
  blockOwnerDeletion: true,
};
const podRef = {
  apiVersion: "v1",
  kind: "Pod",
  name: "mysql-1",
  uid: "pod-uid",
  controller: true,
  blockOwnerDeletion: true,
};

test("the pod is named <set>-<ordinal>, labelled, owned by the set, and its template volume becomes the claim", () => {
  const p = newPod(set(), 2);
  assert.equal(p.metadata.name, "mysql-2");
  assert.deepEqual(p.metadata.labels, {
    app: "mysql",
    "statefulset.kubernetes.io/pod-name": "mysql-2",
    "apps.kubernetes.io/pod-index": "2",
  });
  assert.deepEqual(p.metadata.ownerReferences, [setRef]);
  assert.deepEqual(p.spec.volumes, [{ name: "data", persistentVolumeClaim: { claimName: "data-mysql-2" } }]);
  assert.equal(p.spec.hostname, "mysql-2");
});

test("the claim is named <template>-<set>-<ordinal> and carries the set's selector labels", () => {
  const c = newClaim(set(), 0, 1);
  assert.equal(c.metadata.name, "data-mysql-1");
  assert.equal(c.metadata.namespace, "default");
  assert.deepEqual(c.metadata.labels, { app: "mysql" });
});

const cases: {
  name: string;
  policy?: StatefulSetPersistentVolumeClaimRetentionPolicy;
  refs?: OwnerReference[];
  scaledAway: boolean;
  want: OwnerReference[] | undefined;
}[] = [
  { name: "Retain/Retain: no owner references", scaledAway: true, want: undefined },
  { name: "Retain/Retain removes stale references of ours", refs: [setRef], scaledAway: false, want: [] },
  {
    name: "whenDeleted Delete: owned by the set",
    policy: { whenDeleted: "Delete" },
    scaledAway: false,
    want: [setRef],
  },
  {
    name: "whenScaled Delete, in range: no reference",
    policy: { whenScaled: "Delete" },
    scaledAway: false,
    want: undefined,
  },
  {
    name: "whenScaled Delete, scaled away: owned by the pod",
    policy: { whenScaled: "Delete" },
    scaledAway: true,
    want: [podRef],
  },
  {
    name: "both Delete, scaled away: the pod replaces the set",
    policy: { whenScaled: "Delete", whenDeleted: "Delete" },
    refs: [setRef],
    scaledAway: true,
    want: [podRef],
  },
  {
    name: "another controller keeps the claim: we add nothing",
    policy: { whenDeleted: "Delete" },
    refs: [{ apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "x", controller: true }],
    scaledAway: false,
    want: undefined,
  },
];
for (const c of cases)
  test(`claim owner references: ${c.name}`, () =>
    assert.deepEqual(claimOwnerReferences(claim(c.refs), set(c.policy), pod, c.scaledAway), c.want));
