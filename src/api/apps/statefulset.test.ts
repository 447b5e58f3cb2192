// StatefulSet defaults, rules and row as upstream (pkg/apis/apps).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { statefulSets } from "./statefulset.js";
import type { StatefulSet } from "./types.js";

function mysql(): StatefulSet {
  const set: StatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "mysql", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      replicas: 3,
      serviceName: "mysql",
      selector: { matchLabels: { app: "mysql" } },
      template: {
        metadata: { labels: { app: "mysql" } },
        spec: {
          containers: [
            { name: "mysql", image: "mysql:8", volumeMounts: [{ name: "data", mountPath: "/var/lib/mysql" }] },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
      ],
    },
  };
  statefulSets.applyDefaults(set);
  return set;
}

test("defaults: OrderedReady, RollingUpdate partition 0, Retain claims, pod and claim template defaults", () => {
  const set = mysql();
  assert.equal(set.spec.podManagementPolicy, "OrderedReady");
  assert.deepEqual(set.spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { partition: 0 } });
  assert.deepEqual(set.spec.persistentVolumeClaimRetentionPolicy, { whenDeleted: "Retain", whenScaled: "Retain" });
  assert.equal(set.spec.revisionHistoryLimit, 10);
  assert.equal(set.spec.template.spec.restartPolicy, "Always");
  assert.equal(set.spec.volumeClaimTemplates![0].spec.volumeMode, "Filesystem");
  assert.equal(set.spec.volumeClaimTemplates![0].status?.phase, "Pending");
  assert.deepEqual(statefulSets.validateCreate(set), []);
});

test("the selector must match the template labels", () => {
  const set = mysql();
  set.spec.template.metadata!.labels = { app: "other" };
  assert.deepEqual(statefulSets.validateCreate(set).map(fieldErrorMessage), [
    'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
  ]);
});

test("claim templates are validated as claim specs", () => {
  const set = mysql();
  set.spec.volumeClaimTemplates![0].spec.accessModes = [];
  assert.deepEqual(statefulSets.validateCreate(set).map(fieldErrorMessage), [
    "spec.volumeClaimTemplates[0].spec.accessModes: Required value: at least 1 access mode is required",
  ]);
});

test("only some spec fields may change", () => {
  const old = mysql();
  const scaled = structuredClone(old);
  scaled.spec.replicas = 5;
  assert.deepEqual(statefulSets.validateUpdate(scaled, old), []);
  const renamed = structuredClone(old);
  renamed.spec.serviceName = "db";
  assert.deepEqual(statefulSets.validateUpdate(renamed, old).map(fieldErrorMessage), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
  const limited = structuredClone(old);
  limited.spec.revisionHistoryLimit = 2;
  assert.deepEqual(statefulSets.validateUpdate(limited, old), []);
});

test("rollingUpdate.maxUnavailable is dropped as upstream does while the MaxUnavailableStatefulSet gate is off", () => {
  const set = mysql();
  set.spec.updateStrategy = { type: "RollingUpdate", rollingUpdate: { partition: 1, maxUnavailable: 2 } };
  statefulSets.prepareForCreate?.(set);
  assert.deepEqual(set.spec.updateStrategy.rollingUpdate, { partition: 1 });
  const updated = structuredClone(set);
  updated.spec.updateStrategy!.rollingUpdate!.maxUnavailable = "50%";
  statefulSets.prepareForUpdate?.(updated, set, "", new Date());
  assert.deepEqual(updated.spec.updateStrategy?.rollingUpdate, { partition: 1 });
});

test("kubectl get sts prints READY as ready/desired", () => {
  const set = mysql();
  set.status = { replicas: 3, readyReplicas: 2 };
  assert.deepEqual(statefulSets.table.row(set, new Date("2026-01-01T00:00:40Z")), [
    "mysql",
    "2/3",
    "40s",
    "mysql",
    "mysql:8",
  ]);
});
