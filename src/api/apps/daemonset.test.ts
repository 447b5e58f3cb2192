// DaemonSet defaults, rules and row as upstream (pkg/apis/apps/v1/defaults_test.go, validation_test.go,
// printers_test.go printDaemonSet).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { daemonSets } from "./daemonset.js";
import type { DaemonSet } from "./types.js";

function agent(edit: (d: DaemonSet) => void = () => {}): DaemonSet {
  const set: DaemonSet = {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      template: { metadata: { labels: { app: "agent" } }, spec: { containers: [{ name: "agent", image: "busybox" }] } },
    },
  };
  edit(set);
  daemonSets.applyDefaults(set);
  return set;
}

test("defaults: RollingUpdate with maxUnavailable 1 and maxSurge 0, 10 revisions", () => {
  const set = agent();
  assert.deepEqual(set.spec.updateStrategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
  });
  assert.equal(set.spec.revisionHistoryLimit, 10);
  assert.deepEqual(daemonSets.validateCreate(set), []);
});

const invalid: [string, (d: DaemonSet) => void, string][] = [
  [
    "an empty selector",
    (d) => (d.spec.selector = {}),
    "spec.selector: Invalid value: {}: empty selector is invalid for daemonset",
  ],
  [
    "maxUnavailable and maxSurge both 0",
    (d) => (d.spec.updateStrategy = { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } }),
    "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0 when maxSurge is 0",
  ],
  [
    "an unknown strategy",
    (d) => (d.spec.updateStrategy = { type: "Sometimes" as "OnDelete" }),
    'spec.updateStrategy.type: Unsupported value: "Sometimes": supported values: "OnDelete", "RollingUpdate"',
  ],
  [
    "activeDeadlineSeconds",
    (d) => (d.spec.template.spec.activeDeadlineSeconds = 5),
    "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported",
  ],
];
for (const [name, edit, want] of invalid) {
  test(`a DaemonSet with ${name} is refused`, () =>
    assert.deepEqual(daemonSets.validateCreate(agent(edit)).map(fieldErrorMessage), [want]));
}

test("kubectl get ds: DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE", () => {
  const set = agent((d) => (d.spec.template.spec.nodeSelector = { "kubernetes.io/os": "linux", disk: "ssd" }));
  set.status = {
    desiredNumberScheduled: 3,
    currentNumberScheduled: 3,
    numberReady: 2,
    updatedNumberScheduled: 1,
    numberAvailable: 2,
    numberMisscheduled: 0,
  };
  assert.deepEqual(
    daemonSets.table.columns.map((c) => c.name),
    [
      "Name",
      "Desired",
      "Current",
      "Ready",
      "Up-to-date",
      "Available",
      "Node Selector",
      "Age",
      "Containers",
      "Images",
      "Selector",
    ],
  );
  assert.deepEqual(daemonSets.table.row(set, new Date("2026-01-01T00:00:40Z")).slice(0, 8), [
    "agent",
    3,
    3,
    2,
    1,
    2,
    "disk=ssd,kubernetes.io/os=linux",
    "40s",
  ]);
});
