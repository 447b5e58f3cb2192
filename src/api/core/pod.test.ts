// Pod rules and printing as upstream (pkg/apis/core/validation, pkg/apis/core/v1/defaults.go, printPod).
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage } from "../field.js";
import { pods } from "./pod.js";
import type { Pod } from "./types.js";

function pod(spec: Partial<Pod["spec"]> = {}, name = "web"): Pod {
  const p: Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      containers: [{ name: "app", image: "busybox:1.36", volumeMounts: [{ name: "data", mountPath: "/data" }] }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: "my-pvc" } }],
      ...spec,
    },
  };
  pods.applyDefaults(p);
  return p;
}
const create = (p: Pod): string[] => pods.validateCreate(p).map(fieldErrorMessage);

test("defaults: restartPolicy, dnsPolicy, grace period, scheduler, container and volume defaults", () => {
  const p = pod({
    containers: [
      { name: "a", image: "busybox" },
      { name: "b", image: "registry:5000/team/app:v2" },
      { name: "c", image: "nginx@sha256:abc" },
    ],
    volumes: [
      { name: "cfg", configMap: { name: "settings" } },
      { name: "sec", secret: { secretName: "creds" } },
      { name: "host", hostPath: { path: "/var/log" } },
      { name: "scratch", emptyDir: {} },
    ],
  });
  assert.equal(p.spec.restartPolicy, "Always");
  assert.equal(p.spec.dnsPolicy, "ClusterFirst");
  assert.equal(p.spec.terminationGracePeriodSeconds, 30);
  assert.equal(p.spec.schedulerName, "default-scheduler");
  assert.equal(p.spec.enableServiceLinks, true);
  assert.deepEqual(p.spec.securityContext, {});
  assert.deepEqual(
    p.spec.containers.map((c) => c.imagePullPolicy),
    ["Always", "IfNotPresent", "IfNotPresent"],
  );
  assert.equal(p.spec.containers[0].terminationMessagePath, "/dev/termination-log");
  assert.equal(p.spec.containers[0].terminationMessagePolicy, "File");
  assert.equal(p.spec.volumes![0].configMap!.defaultMode, 420);
  assert.equal(p.spec.volumes![1].secret!.defaultMode, 420);
  assert.equal(p.spec.volumes![2].hostPath!.type, "");
  assert.deepEqual(create(p), []);
  pods.prepareForCreate!(p);
  assert.deepEqual(p.status, { phase: "Pending", qosClass: "BestEffort" });
});

const cases: { name: string; pod: Pod; want: string[] }[] = [
  { name: "a pod mounting a claim is valid", pod: pod(), want: [] },
  { name: "containers are required", pod: pod({ containers: [] }), want: ["spec.containers: Required value"] },
  {
    name: "volume names are unique",
    pod: pod({
      volumes: [
        { name: "data", emptyDir: {} },
        { name: "data", emptyDir: {} },
      ],
    }),
    want: ['spec.volumes[1].name: Duplicate value: "data"'],
  },
  {
    name: "a volumeMount names an existing volume",
    pod: pod({ volumes: [] }),
    want: ['spec.containers[0].volumeMounts[0].name: Not found: "data"'],
  },
  {
    name: "a volume needs a source",
    pod: pod({ volumes: [{ name: "data" }] }),
    want: [
      "spec.volumes[0]: Required value: must specify a volume type",
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
  },
  {
    name: "a volume has one source only",
    pod: pod({ volumes: [{ name: "data", emptyDir: {}, hostPath: { path: "/tmp" } }] }),
    want: [
      "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type",
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
  },
  {
    name: "a projected token lives between 10 minutes and 2^32 seconds",
    pod: pod({
      volumes: [
        {
          name: "data",
          projected: {
            sources: [
              { serviceAccountToken: { path: "short", expirationSeconds: 599 } },
              { serviceAccountToken: { path: "long", expirationSeconds: 2 ** 32 + 1 } },
            ],
          },
        },
      ],
    }),
    want: [
      "spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes",
      "spec.volumes[0].projected.sources[1].serviceAccountToken.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds",
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
  },
  {
    name: "a claim volume needs a claimName",
    pod: pod({ volumes: [{ name: "data", persistentVolumeClaim: { claimName: "" } }] }),
    want: [
      "spec.volumes[0].persistentVolumeClaim.claimName: Required value",
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
  },
  {
    name: "subPath must be relative",
    pod: pod({
      containers: [
        { name: "app", image: "busybox", volumeMounts: [{ name: "data", mountPath: "/d", subPath: "/abs" }] },
      ],
    }),
    want: ['spec.containers[0].volumeMounts.subPath: Invalid value: "/abs": must be a relative path'],
  },
  {
    name: "subPath and subPathExpr are mutually exclusive",
    pod: pod({
      containers: [
        {
          name: "app",
          image: "busybox",
          volumeMounts: [{ name: "data", mountPath: "/d", subPath: "a", subPathExpr: "$(POD)" }],
        },
      ],
    }),
    want: [
      'spec.containers[0].volumeMounts[0].subPathExpr: Invalid value: "$(POD)": subPathExpr and subPath are mutually exclusive',
    ],
  },
  {
    name: "mount paths are unique within a container",
    pod: pod({
      containers: [
        {
          name: "app",
          image: "busybox",
          volumeMounts: [
            { name: "data", mountPath: "/d" },
            { name: "data", mountPath: "/d" },
          ],
        },
      ],
    }),
    want: ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique'],
  },
  {
    name: "block devices come from claims only",
    pod: pod({
      volumes: [{ name: "data", emptyDir: {} }],
      containers: [{ name: "app", image: "busybox", volumeDevices: [{ name: "data", devicePath: "/dev/xvda" }] }],
    }),
    want: [
      'spec.containers[0].volumeDevices[0].name: Invalid value: "data": can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode',
    ],
  },
  {
    name: "container names are unique",
    pod: pod({
      volumes: [],
      containers: [
        { name: "a", image: "x" },
        { name: "a", image: "y" },
      ],
    }),
    want: ['spec.containers[1].name: Duplicate value: "a"'],
  },
  {
    name: "a container needs an image",
    pod: pod({ volumes: [], containers: [{ name: "a" }] }),
    want: ["spec.containers[0].image: Required value"],
  },
  {
    name: "restartPolicy must be known",
    pod: pod({ restartPolicy: "Sometimes" as never }),
    want: ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"'],
  },
  {
    name: "an emptyDir size limit must be a quantity",
    pod: pod({ volumes: [{ name: "data", emptyDir: { sizeLimit: "lots" } }] }),
    want: [
      `spec.volumes[0].emptyDir.sizeLimit: Invalid value: "lots": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
      'spec.containers[0].volumeMounts[0].name: Not found: "data"',
    ],
  },
];
for (const c of cases) test(`Pod: ${c.name}`, () => assert.deepEqual(create(c.pod), c.want));

test("a pod's spec may change only its images (nodeName goes through binding)", () => {
  const old = pod();
  const image = structuredClone(old);
  image.spec.containers[0].image = "busybox:1.37";
  assert.deepEqual(pods.validateUpdate(image, old), []);
  const moved = structuredClone(old);
  moved.spec.nodeName = "node-1";
  const errs = pods.validateUpdate(moved, old).map(fieldErrorMessage);
  assert.equal(errs.length, 1);
  assert.match(
    errs[0],
    /^spec: Forbidden: pod updates may not change fields other than `spec\.containers\[\*\]\.image`/,
  );
});

test("kubectl get pods: a new pod is 0/1 Pending", () => {
  const p = pod();
  pods.prepareForCreate!(p);
  p.metadata.creationTimestamp = "2026-01-01T00:00:00Z";
  assert.deepEqual(pods.table.row(p, new Date("2026-01-01T00:00:05Z")), [
    "web",
    "0/1",
    "Pending",
    "0",
    "5s",
    "<none>",
    "<none>",
    "<none>",
    "<none>",
  ]);
});

test("kubectl get pods: a running ready pod, with restarts", () => {
  const p = pod({ nodeName: "node-1" });
  p.metadata.creationTimestamp = "2026-01-01T00:00:00Z";
  p.status = {
    phase: "Running",
    podIPs: [{ ip: "10.0.0.5" }],
    conditions: [{ type: "Ready", status: "True" }],
    containerStatuses: [
      {
        name: "app",
        ready: true,
        restartCount: 2,
        image: "busybox:1.36",
        imageID: "",
        state: { running: { startedAt: "2026-01-01T00:01:00Z" } },
        lastState: { terminated: { exitCode: 1, finishedAt: "2026-01-01T00:09:00Z" } },
      },
    ],
  };
  assert.deepEqual(pods.table.row(p, new Date("2026-01-01T00:10:00Z")), [
    "web",
    "1/1",
    "Running",
    "2 (60s ago)",
    "10m",
    "10.0.0.5",
    "node-1",
    "<none>",
    "<none>",
  ]);
});

test("kubectl get pods: waiting reasons, init progress and Terminating are shown as upstream", () => {
  const waiting = pod();
  waiting.status = {
    phase: "Pending",
    containerStatuses: [
      {
        name: "app",
        ready: false,
        restartCount: 0,
        image: "",
        imageID: "",
        state: { waiting: { reason: "ContainerCreating" } },
      },
    ],
  };
  assert.equal(pods.table.row(waiting, new Date())[2], "ContainerCreating");

  const init = pod({ initContainers: [{ name: "setup", image: "busybox" }] });
  init.status = {
    phase: "Pending",
    initContainerStatuses: [
      { name: "setup", ready: false, restartCount: 0, image: "", imageID: "", state: { running: {} } },
    ],
  };
  assert.equal(pods.table.row(init, new Date())[2], "Init:0/1");

  const done = pod();
  done.status = {
    phase: "Succeeded",
    containerStatuses: [
      {
        name: "app",
        ready: false,
        restartCount: 0,
        image: "",
        imageID: "",
        state: { terminated: { exitCode: 0, reason: "Completed" } },
      },
    ],
  };
  assert.equal(pods.table.row(done, new Date())[2], "Completed");

  const deleting = pod();
  deleting.status = { phase: "Running" };
  deleting.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  assert.equal(pods.table.row(deleting, new Date())[2], "Terminating");
});

test("pods can be selected by spec.nodeName and status.phase", () => {
  const p = pod({ nodeName: "node-1" });
  pods.prepareForCreate!(p);
  const fields = pods.selectableFields!(p);
  assert.equal(fields["spec.nodeName"], "node-1");
  assert.equal(fields["status.phase"], "Pending");
  assert.equal(fields["spec.schedulerName"], "default-scheduler");
});
