// Each row is one upstream rule (pkg/apis/core/validation) with upstream's wording, as kubectl would show it.
import assert from "node:assert/strict";
import test from "node:test";
import { fieldErrorMessage, invalidMessage } from "../field.js";
import { persistentVolumes } from "./persistentvolume.js";
import type { PersistentVolume } from "./types.js";

function pv(spec: Partial<PersistentVolume["spec"]>, name = "my-pv"): PersistentVolume {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: { capacity: { storage: "5Gi" }, accessModes: ["ReadWriteOnce"], hostPath: { path: "/tmp/data" }, ...spec },
  };
}

const messages = (volume: PersistentVolume): string[] => {
  persistentVolumes.applyDefaults(volume);
  return persistentVolumes.validateCreate(volume).map(fieldErrorMessage);
};

const cases: { name: string; volume: PersistentVolume; want: string[] }[] = [
  { name: "a hostPath volume with capacity and an access mode is valid", volume: pv({}), want: [] },
  {
    name: "capacity is required",
    volume: pv({ capacity: undefined }),
    want: ["spec.capacity: Required value", 'spec.capacity: Unsupported value: {}: supported values: "storage"'],
  },
  { name: "access modes are required", volume: pv({ accessModes: [] }), want: ["spec.accessModes: Required value"] },
  {
    name: "an unknown access mode is refused",
    volume: pv({ accessModes: ["ReadWriteSometimes" as never] }),
    want: [
      'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
    ],
  },
  {
    name: "ReadWriteOncePod cannot be combined with other modes",
    volume: pv({ accessModes: ["ReadWriteOncePod", "ReadWriteOnce"] }),
    want: ["spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"],
  },
  {
    name: "capacity must be positive",
    volume: pv({ capacity: { storage: "0" } }),
    want: ['spec.capacity[storage]: Invalid value: "0": must be greater than zero'],
  },
  {
    name: "a malformed capacity gets the quantity grammar message",
    volume: pv({ capacity: { storage: "5 GB" } }),
    want: [
      `spec.capacity[storage]: Invalid value: "5 GB": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
    ],
  },
  {
    name: "a volume needs a source",
    volume: pv({ hostPath: undefined }),
    want: ["spec: Required value: must specify a volume type"],
  },
  {
    name: "a volume may have only one source",
    volume: pv({ nfs: { server: "nfs.example.com", path: "/exports" } }),
    want: ["spec.nfs: Forbidden: may not specify more than 1 volume type"],
  },
  {
    name: "an unknown reclaim policy is refused",
    volume: pv({ persistentVolumeReclaimPolicy: "Keep" as never }),
    want: [
      'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"',
    ],
  },
  {
    name: "hostPath needs a path",
    volume: pv({ hostPath: { path: "" } }),
    want: ["spec.hostPath.path: Required value"],
  },
  {
    name: "hostPath may not step out with ..",
    volume: pv({ hostPath: { path: "/tmp/../etc" } }),
    want: [`spec.hostPath.path: Invalid value: "/tmp/../etc": must not contain '..'`],
  },
  {
    name: "a local volume requires node affinity",
    volume: pv({ hostPath: undefined, local: { path: "/mnt/disks/ssd1" } }),
    want: ["spec.nodeAffinity: Required value: Local volume requires node affinity"],
  },
  {
    name: "a local volume with node affinity is valid",
    volume: pv({
      hostPath: undefined,
      local: { path: "/mnt/disks/ssd1" },
      nodeAffinity: {
        required: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: ["node-1"] }] },
          ],
        },
      },
    }),
    want: [],
  },
  {
    name: "node affinity needs at least one term",
    volume: pv({ nodeAffinity: { required: { nodeSelectorTerms: [] } } }),
    want: ["spec.nodeAffinity.required.nodeSelectorTerms: Required value: must have at least one node selector term"],
  },
  {
    name: "a CSI volume needs a driver and a handle",
    volume: pv({ hostPath: undefined, csi: { driver: "", volumeHandle: "" } }),
    want: [
      "spec.csi.driver: Required value",
      `spec.csi.driver: Invalid value: "": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      "spec.csi.volumeHandle: Required value",
    ],
  },
  {
    name: "NFS needs an absolute path",
    volume: pv({ hostPath: undefined, nfs: { server: "nfs", path: "exports" } }),
    want: ['spec.nfs.path: Invalid value: "exports": must be an absolute path'],
  },
  {
    name: "volumeMode must be Block or Filesystem",
    volume: pv({ volumeMode: "Raw" as never }),
    want: ['spec.volumeMode: Unsupported value: "Raw": supported values: "Block", "Filesystem"'],
  },
  {
    name: "a hostPath of / may not be recycled",
    volume: pv({ hostPath: { path: "/" }, persistentVolumeReclaimPolicy: "Recycle" }),
    want: ["spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a hostPath mount of '/'"],
  },
  {
    name: "names must be DNS-1123 subdomains",
    volume: pv({}, "My_PV"),
    want: [
      `metadata.name: Invalid value: "My_PV": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    ],
  },
];

for (const c of cases) test(`PersistentVolume: ${c.name}`, () => assert.deepEqual(messages(c.volume), c.want));

test("a cluster-scoped PersistentVolume may not carry a namespace", () => {
  const volume = pv({});
  volume.metadata.namespace = "default";
  assert.deepEqual(messages(volume), ["metadata.namespace: Forbidden: not allowed on this type"]);
});

test("the 422 message aggregates several errors the way kubectl shows them", () => {
  const volume = pv({ capacity: { storage: "1Gi" }, accessModes: [], hostPath: undefined });
  persistentVolumes.applyDefaults(volume);
  assert.equal(
    invalidMessage("", "PersistentVolume", "my-pv", persistentVolumes.validateCreate(volume)),
    'PersistentVolume "my-pv" is invalid: [spec.accessModes: Required value, spec: Required value: must specify a volume type]',
  );
});

test("defaults: reclaim policy Retain, volumeMode Filesystem, hostPath type unset, phase Pending", () => {
  const volume = pv({});
  persistentVolumes.applyDefaults(volume);
  persistentVolumes.prepareForCreate!(volume);
  assert.equal(volume.spec.persistentVolumeReclaimPolicy, "Retain");
  assert.equal(volume.spec.volumeMode, "Filesystem");
  assert.equal(volume.spec.hostPath?.type, "");
  assert.equal(volume.status?.phase, "Pending");
  assert.match(volume.status?.lastPhaseTransitionTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test("defaults keep what the user chose", () => {
  const volume = pv({ persistentVolumeReclaimPolicy: "Delete", volumeMode: "Block" });
  persistentVolumes.applyDefaults(volume);
  assert.equal(volume.spec.persistentVolumeReclaimPolicy, "Delete");
  assert.equal(volume.spec.volumeMode, "Block");
});

test("the volume source is immutable after creation", () => {
  const old = pv({});
  persistentVolumes.applyDefaults(old);
  const next = structuredClone(old);
  next.spec.hostPath = { path: "/tmp/other", type: "" };
  const errs = persistentVolumes.validateUpdate(next, old).map(fieldErrorMessage);
  assert.equal(errs.length, 1);
  assert.match(
    errs[0],
    /^spec\.persistentvolumesource: Forbidden: spec\.persistentvolumesource is immutable after creation\n/,
  );
});

test("binding a volume to a claim (claimRef) is an allowed update", () => {
  const old = pv({});
  persistentVolumes.applyDefaults(old);
  const next = structuredClone(old);
  next.spec.claimRef = { kind: "PersistentVolumeClaim", namespace: "default", name: "my-pvc", uid: "u1" };
  assert.deepEqual(persistentVolumes.validateUpdate(next, old), []);
});

test("kubectl get pv prints upstream's columns and cells", () => {
  const now = new Date("2026-01-01T00:10:00Z");
  const volume = pv({ accessModes: ["ReadWriteOnce", "ReadOnlyMany"], storageClassName: "manual" });
  volume.metadata.creationTimestamp = "2026-01-01T00:05:00Z";
  persistentVolumes.applyDefaults(volume);
  volume.status = { phase: "Bound" };
  volume.spec.claimRef = { namespace: "default", name: "my-pvc" };
  assert.deepEqual(
    persistentVolumes.table.columns.map((c) => [c.name.toUpperCase(), c.priority]),
    [
      ["NAME", 0],
      ["CAPACITY", 0],
      ["ACCESS MODES", 0],
      ["RECLAIM POLICY", 0],
      ["STATUS", 0],
      ["CLAIM", 0],
      ["STORAGECLASS", 0],
      ["VOLUMEATTRIBUTESCLASS", 0],
      ["REASON", 0],
      ["AGE", 0],
      ["VOLUMEMODE", 1],
    ],
  );
  assert.deepEqual(persistentVolumes.table.row(volume, now), [
    "my-pv",
    "5Gi",
    "RWO,ROX",
    "Retain",
    "Bound",
    "default/my-pvc",
    "manual",
    "<unset>",
    "",
    "5m",
    "Filesystem",
  ]);
});

test("a deleted volume held by a finalizer shows Terminating", () => {
  const volume = pv({});
  persistentVolumes.applyDefaults(volume);
  volume.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  assert.equal(persistentVolumes.table.row(volume, new Date())[4], "Terminating");
});

test("a status write that changes the phase stamps lastPhaseTransitionTime", () => {
  const old = pv({});
  persistentVolumes.applyDefaults(old);
  old.status = { phase: "Pending", lastPhaseTransitionTime: "2026-01-01T00:00:00Z" };
  const next = structuredClone(old);
  next.status = { phase: "Available" };
  persistentVolumes.prepareForUpdate!(next, old, "status", new Date("2026-01-01T00:05:00Z"));
  assert.equal(next.status.lastPhaseTransitionTime, "2026-01-01T00:05:00Z");
  const same = structuredClone(next);
  delete same.status!.lastPhaseTransitionTime;
  same.status!.message = "ok";
  persistentVolumes.prepareForUpdate!(same, next, "status", new Date("2026-01-01T00:09:00Z"));
  assert.equal(same.status!.lastPhaseTransitionTime, "2026-01-01T00:05:00Z");
});
