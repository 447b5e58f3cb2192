import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPatch } from "./index.js";

// Strategic merge patch as `kubectl patch` (default type) and `kubectl apply` send it, on the kinds stowage serves.
// Expected results follow upstream's strategicpatch rules: lists merge by their patchMergeKey, patch items the live
// object did not have come first unless $setElementOrder says otherwise, untagged lists are replaced whole.

const podKind = { group: "", version: "v1", kind: "Pod" };
interface Container {
  name: string;
  image?: string;
  command?: string[];
  env?: { name: string; value: string }[];
  ports?: { containerPort: number; protocol?: string; name?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Pod {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; finalizers: string[]; ownerReferences?: object[] };
  spec: {
    containers: Container[];
    volumes: object[];
    tolerations: { key: string; operator: string }[];
    nodeSelector?: Record<string, string>;
    securityContext?: object;
  };
}
const pod = (): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "default", finalizers: ["example.com/a"] },
  spec: {
    containers: [
      {
        name: "app",
        image: "nginx:1.25",
        env: [
          { name: "MODE", value: "prod" },
          { name: "DEBUG", value: "0" },
        ],
        ports: [{ containerPort: 80, protocol: "TCP" }],
        volumeMounts: [{ name: "data", mountPath: "/data" }],
      },
      { name: "sidecar", image: "busybox", command: ["sleep", "3600"] },
    ],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: "data" } }],
    tolerations: [{ key: "a", operator: "Exists" }],
    nodeSelector: { disk: "ssd" },
  },
});
const edit = (change: (p: Pod) => void): Pod => {
  const p = pod();
  change(p);
  return p;
};

const podRows: { name: string; patch: unknown; want: Pod | unknown }[] = [
  {
    name: "kubectl patch merges a container by name and keeps the others",
    patch: { spec: { containers: [{ name: "app", image: "nginx:1.27" }] } },
    want: edit((p) => (p.spec.containers[0].image = "nginx:1.27")),
  },
  {
    name: "a container the pod does not have is added before the live ones",
    patch: { spec: { containers: [{ name: "log", image: "fluentd" }] } },
    want: edit((p) => p.spec.containers.unshift({ name: "log", image: "fluentd" })),
  },
  {
    name: "env merges by name inside the merged container",
    patch: { spec: { containers: [{ name: "app", env: [{ name: "DEBUG", value: "1" }] }] } },
    want: edit((p) => (p.spec.containers[0].env![1].value = "1")),
  },
  {
    name: "volumeMounts merge by mountPath and ports by containerPort",
    patch: {
      spec: {
        containers: [
          {
            name: "app",
            volumeMounts: [{ mountPath: "/data", readOnly: true }],
            ports: [{ containerPort: 80, name: "http" }],
          },
        ],
      },
    },
    want: edit((p) => {
      Object.assign(p.spec.containers[0].volumeMounts![0], { readOnly: true });
      Object.assign(p.spec.containers[0].ports![0], { name: "http" });
    }),
  },
  {
    name: "kubectl apply's second apply: changed image, removed container, order from $setElementOrder",
    patch: {
      spec: {
        "$setElementOrder/containers": [{ name: "app" }],
        containers: [
          { name: "app", image: "nginx:1.27" },
          { $patch: "delete", name: "sidecar" },
        ],
      },
    },
    want: edit((p) => {
      p.spec.containers[0].image = "nginx:1.27";
      p.spec.containers.splice(1, 1);
    }),
  },
  {
    name: "kubectl apply's second apply: a removed env var is deleted by name",
    patch: {
      spec: {
        "$setElementOrder/containers": [{ name: "app" }, { name: "sidecar" }],
        containers: [
          { "$setElementOrder/env": [{ name: "MODE" }], env: [{ $patch: "delete", name: "DEBUG" }], name: "app" },
        ],
      },
    },
    want: edit((p) => p.spec.containers[0].env!.splice(1, 1)),
  },
  {
    name: "$setElementOrder reorders the live containers",
    patch: { spec: { "$setElementOrder/containers": [{ name: "sidecar" }, { name: "app" }] } },
    want: edit((p) => p.spec.containers.reverse()),
  },
  {
    name: "$setElementOrder places a new container where the manifest has it",
    patch: {
      spec: {
        "$setElementOrder/containers": [{ name: "app" }, { name: "log" }, { name: "sidecar" }],
        containers: [{ name: "log", image: "fluentd" }],
      },
    },
    want: edit((p) => p.spec.containers.splice(1, 0, { name: "log", image: "fluentd" })),
  },
  {
    name: "$patch: replace on a list takes the patch's list",
    patch: { spec: { containers: [{ name: "only", image: "x" }, { $patch: "replace" }] } },
    want: edit((p) => (p.spec.containers = [{ name: "only", image: "x" }])),
  },
  {
    name: "$patch: replace on a map takes the patch's map",
    patch: { spec: { nodeSelector: { zone: "a", $patch: "replace" } } },
    want: edit((p) => (p.spec.nodeSelector = { zone: "a" })),
  },
  {
    name: "$patch: delete on a map empties it",
    patch: { spec: { nodeSelector: { $patch: "delete" } } },
    want: edit((p) => (p.spec.nodeSelector = {})),
  },
  {
    name: "$retainKeys switches a volume's source (kubectl apply of a changed volume type)",
    patch: {
      spec: {
        "$setElementOrder/volumes": [{ name: "data" }],
        volumes: [{ $retainKeys: ["emptyDir", "name"], emptyDir: {}, name: "data", persistentVolumeClaim: null }],
      },
    },
    want: edit((p) => (p.spec.volumes = [{ name: "data", emptyDir: {} }])),
  },
  {
    name: "tolerations have no merge key upstream: the list is replaced",
    patch: { spec: { tolerations: [{ key: "b", operator: "Exists" }] } },
    want: edit((p) => (p.spec.tolerations = [{ key: "b", operator: "Exists" }])),
  },
  {
    name: "a container's command is replaced, not merged",
    patch: { spec: { containers: [{ name: "sidecar", command: ["true"] }] } },
    want: edit((p) => (p.spec.containers[1].command = ["true"])),
  },
  {
    name: "null deletes a field",
    patch: { spec: { nodeSelector: null } },
    want: edit((p) => delete p.spec.nodeSelector),
  },
  {
    name: "finalizers merge as a set, new ones first",
    patch: { metadata: { finalizers: ["example.com/b", "example.com/a"] } },
    want: edit((p) => (p.metadata.finalizers = ["example.com/b", "example.com/a"])),
  },
  {
    name: "$deleteFromPrimitiveList removes a finalizer",
    patch: { metadata: { "$deleteFromPrimitiveList/finalizers": ["example.com/a"] } },
    want: edit((p) => (p.metadata.finalizers = [])),
  },
  {
    name: "ownerReferences merge by uid",
    patch: { metadata: { ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "u1" }] } },
    want: edit((p) =>
      Object.assign(p.metadata, {
        ownerReferences: [{ apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "u1" }],
      }),
    ),
  },
  {
    name: "nulls and directives in a part the pod did not have are not stored",
    patch: { spec: { securityContext: { runAsUser: 1000, fsGroup: null }, "$setElementOrder/initContainers": [] } },
    want: edit((p) => Object.assign(p.spec, { securityContext: { runAsUser: 1000 } })),
  },
];
for (const row of podRows)
  test(`strategic merge patch: ${row.name}`, () => {
    const original = pod();
    const patch = JSON.parse(JSON.stringify(row.patch));
    assert.deepEqual(applyPatch("strategic", original, patch, podKind), row.want);
    assert.deepEqual(original, pod(), "the stored object is never modified");
  });

test("strategic merge patch: a patch to one container's env does not reorder the containers", () => {
  const result = applyPatch(
    "strategic",
    pod(),
    { spec: { containers: [{ name: "sidecar", env: [{ name: "X", value: "1" }] }] } },
    podKind,
  ) as Pod;
  assert.deepEqual(
    result.spec.containers.map((c) => c.name),
    ["app", "sidecar"],
  );
});

// Items the live object has but the applied manifest never mentioned (a sidecar injected by a webhook, a
// finalizer a controller added) keep their place; the manifest's items take $setElementOrder's order around them.
test("kubectl apply's ordering: server-only containers keep their place among the manifest's", () => {
  const live = {
    metadata: { name: "web" },
    spec: {
      containers: [
        { name: "a", image: "a" },
        { name: "b", image: "b" },
        { name: "injected", image: "proxy" },
      ],
    },
  };
  // last applied [a, b]; the new manifest says [b, c]
  const patch = {
    spec: {
      "$setElementOrder/containers": [{ name: "b" }, { name: "c" }],
      containers: [
        { name: "c", image: "c" },
        { $patch: "delete", name: "a" },
      ],
    },
  };
  const result = applyPatch("strategic", live, patch, podKind) as typeof live;
  assert.deepEqual(
    result.spec.containers.map((c) => c.name),
    ["b", "injected", "c"],
  );
});

test("kubectl apply's ordering: a controller's finalizer keeps its place when the manifest's change", () => {
  const live = { metadata: { name: "web", finalizers: ["controller.example.com/x", "a", "b"] } };
  // last applied [a, b]; the new manifest says [b, c]
  const patch = {
    metadata: {
      "$setElementOrder/finalizers": ["b", "c"],
      finalizers: ["c"],
      "$deleteFromPrimitiveList/finalizers": ["a"],
    },
  };
  assert.deepEqual(applyPatch("strategic", live, patch, podKind), {
    metadata: { name: "web", finalizers: ["controller.example.com/x", "b", "c"] },
  });
});

test("deleting a container the pod does not have changes nothing", () =>
  assert.deepEqual(
    applyPatch("strategic", pod(), { spec: { containers: [{ $patch: "delete", name: "missing" }] } }, podKind),
    pod(),
  ));

test("a duplicate finalizer in the patch is stored once", () =>
  assert.deepEqual(
    (applyPatch("strategic", pod(), { metadata: { finalizers: ["example.com/a", "example.com/a"] } }, podKind) as Pod)
      .metadata.finalizers,
    ["example.com/a"],
  ));

test("$setElementOrder on an empty live list behaves as on an absent one (upstream omits empty lists)", () => {
  const patch = { metadata: { "$setElementOrder/finalizers": ["a"], finalizers: ["a"] } };
  for (const finalizers of [[], null, undefined])
    assert.deepEqual(applyPatch("strategic", { metadata: { name: "p", finalizers } }, patch, podKind), {
      metadata: { name: "p", finalizers: ["a"] },
    });
  assert.deepEqual(
    applyPatch(
      "strategic",
      { metadata: { name: "p", finalizers: [] } },
      { metadata: { "$setElementOrder/finalizers": [] } },
      podKind,
    ),
    { metadata: { name: "p", finalizers: [] } },
  );
});
