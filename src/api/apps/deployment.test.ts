// Deployment and ReplicaSet defaults, rules and rows as upstream (pkg/apis/apps/v1/defaults_test.go,
// pkg/apis/apps/validation/validation_test.go, printers_test.go).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { deployments } from "./deployment.js";
import { replicaSets } from "./replicaset.js";
import type { Deployment, ReplicaSet } from "./types.js";

function nginx(edit: (d: Deployment) => void = () => {}): Deployment {
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "nginx-deployment", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      selector: { matchLabels: { app: "nginx" } },
      template: {
        metadata: { labels: { app: "nginx" } },
        spec: {
          containers: [
            { name: "nginx", image: "nginx:1.14.2", volumeMounts: [{ name: "cache", mountPath: "/cache" }] },
          ],
          volumes: [{ name: "cache", emptyDir: {} }],
        },
      },
    },
  };
  edit(deployment);
  deployments.applyDefaults(deployment);
  return deployment;
}

test("defaults: 1 replica, RollingUpdate 25%/25%, 10 revisions, 600 s progress deadline, pod defaults", () => {
  const deployment = nginx();
  assert.equal(deployment.spec.replicas, 1);
  assert.deepEqual(deployment.spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" },
  });
  assert.equal(deployment.spec.revisionHistoryLimit, 10);
  assert.equal(deployment.spec.progressDeadlineSeconds, 600);
  assert.equal(deployment.spec.template.spec.restartPolicy, "Always");
  assert.deepEqual(deployments.validateCreate(deployment), []);
});

test("defaults: Recreate gets no rollingUpdate", () => {
  const deployment = nginx((d) => (d.spec.strategy = { type: "Recreate" }));
  assert.deepEqual(deployment.spec.strategy, { type: "Recreate" });
  assert.deepEqual(deployments.validateCreate(deployment), []);
});

const invalidDeployments: { name: string; edit: (d: Deployment) => void; want: string[] }[] = [
  {
    name: "negative replicas",
    edit: (d) => (d.spec.replicas = -1),
    want: ["spec.replicas: Invalid value: -1: must be greater than or equal to 0"],
  },
  {
    name: "a selector that does not match the template",
    edit: (d) => (d.spec.selector = { matchLabels: { app: "other" } }),
    want: [
      'spec.template.metadata.labels: Invalid value: {"app":"nginx"}: `selector` does not match template `labels`',
    ],
  },
  {
    name: "an empty selector",
    edit: (d) => (d.spec.selector = {}),
    want: ["spec.selector: Invalid value: {}: empty selector is invalid for deployment"],
  },
  {
    name: "restartPolicy Never",
    edit: (d) => (d.spec.template.spec.restartPolicy = "Never"),
    want: ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
  },
  {
    name: "activeDeadlineSeconds",
    edit: (d) => (d.spec.template.spec.activeDeadlineSeconds = 30),
    want: ["spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported"],
  },
  {
    name: "Recreate with rollingUpdate",
    edit: (d) => (d.spec.strategy = { type: "Recreate", rollingUpdate: { maxSurge: 1 } }),
    want: ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
  },
  {
    name: "an unknown strategy",
    edit: (d) => (d.spec.strategy = { type: "BlueGreen" as "Recreate" }),
    want: ['spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"'],
  },
  {
    name: "maxSurge and maxUnavailable both 0",
    edit: (d) => (d.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: "0%" } }),
    want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'],
  },
  {
    name: "maxUnavailable over 100%",
    edit: (d) => (d.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "110%" } }),
    want: ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "110%": must not be greater than 100%'],
  },
  {
    name: "a percent without %",
    edit: (d) => (d.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: "abc", maxUnavailable: 1 } }),
    want: [
      `spec.strategy.rollingUpdate.maxSurge: Invalid value: "abc": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
    ],
  },
  {
    name: "a negative maxSurge",
    edit: (d) => (d.spec.strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: -1, maxUnavailable: 1 } }),
    want: ["spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0"],
  },
  {
    name: "a progress deadline not above minReadySeconds",
    edit: (d) => {
      d.spec.minReadySeconds = 10;
      d.spec.progressDeadlineSeconds = 10;
    },
    want: ["spec.progressDeadlineSeconds: Invalid value: 10: must be greater than minReadySeconds"],
  },
  {
    name: "a negative revisionHistoryLimit",
    edit: (d) => (d.spec.revisionHistoryLimit = -1),
    want: ["spec.revisionHistoryLimit: Invalid value: -1: must be greater than or equal to 0"],
  },
];
for (const c of invalidDeployments) {
  test(`a Deployment with ${c.name} is refused`, () => {
    const errs = deployments.validateCreate(nginx(c.edit));
    assert.deepEqual(errs.map(fieldErrorMessage), c.want);
  });
}

test("the selector of a Deployment and of a ReplicaSet cannot change; the template can", () => {
  const old = nginx();
  const next = structuredClone(old);
  next.spec.selector = { matchLabels: { app: "nginx", tier: "web" } };
  next.spec.template.metadata!.labels = { app: "nginx", tier: "web" };
  assert.match(
    deployments.validateUpdate(next, old).map(fieldErrorMessage).join("\n"),
    /spec.selector: .*field is immutable/,
  );
  const image = structuredClone(old);
  image.spec.template.spec.containers[0].image = "nginx:1.16.1";
  assert.deepEqual(deployments.validateUpdate(image, old), []);
  assert.equal(deployments.bumpsGeneration?.(image, old), true);
});

test("kubectl get deploy: READY UP-TO-DATE AVAILABLE AGE, and -o wide CONTAINERS IMAGES SELECTOR", () => {
  const deployment = nginx((d) => (d.spec.replicas = 3));
  deployment.status = { replicas: 3, readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
  const table = deployments.table;
  assert.deepEqual(
    table.columns.map((c) => [c.name, c.priority]),
    [
      ["Name", 0],
      ["Ready", 0],
      ["Up-to-date", 0],
      ["Available", 0],
      ["Age", 0],
      ["Containers", 1],
      ["Images", 1],
      ["Selector", 1],
    ],
  );
  assert.deepEqual(table.row(deployment, new Date("2026-01-01T00:05:00Z")), [
    "nginx-deployment",
    "2/3",
    3,
    2,
    "5m",
    "nginx",
    "nginx:1.14.2",
    "app=nginx",
  ]);
});

test("kubectl get rs: DESIRED CURRENT READY AGE, and -o wide CONTAINERS IMAGES SELECTOR", () => {
  const set: ReplicaSet = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: "nginx-deployment-5d59d67564", namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "nginx", "pod-template-hash": "5d59d67564" } },
      template: {
        metadata: { labels: { app: "nginx", "pod-template-hash": "5d59d67564" } },
        spec: { containers: [{ name: "nginx", image: "nginx:1.14.2" }] },
      },
    },
    status: { replicas: 2, readyReplicas: 1 },
  };
  replicaSets.applyDefaults(set);
  assert.deepEqual(replicaSets.validateCreate(set), []);
  assert.deepEqual(
    replicaSets.table.columns.map((c) => c.name),
    ["Name", "Desired", "Current", "Ready", "Age", "Containers", "Images", "Selector"],
  );
  assert.deepEqual(replicaSets.table.row(set, new Date("2026-01-01T00:00:30Z")), [
    "nginx-deployment-5d59d67564",
    3,
    2,
    1,
    "30s",
    "nginx",
    "nginx:1.14.2",
    "app=nginx,pod-template-hash=5d59d67564",
  ]);
});
