// VolumeBinding's PreFilter and Filter, one row per case of upstream's binder_test.go / volume_binding_test.go
// that a storage user would recognise: the objects in the cluster, the node, and the reasons or the plan.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import type { CSIDriver, CSIStorageCapacity, StorageClass } from "../api/storage/types.js";
import { volumeClass } from "../api/storagerules/class.js";
import {
  ErrReasonBindConflict,
  ErrReasonNodeConflict,
  ErrReasonNotEnoughSpace,
  ErrReasonPVNotExist,
  filterVolumes,
  preFilterVolumes,
  type VolumeView,
} from "./volumebinding.js";

interface World {
  claims?: PersistentVolumeClaim[];
  volumes?: PersistentVolume[];
  classes?: StorageClass[];
  drivers?: CSIDriver[];
  capacities?: CSIStorageCapacity[];
  assumed?: Record<string, string>;
}

function view(world: World): VolumeView {
  return {
    claim: (namespace, name) =>
      world.claims?.find((c) => c.metadata.namespace === namespace && c.metadata.name === name),
    volume: (name) => world.volumes?.find((v) => v.metadata.name === name),
    volumesOfClass: (className) => (world.volumes ?? []).filter((v) => volumeClass(v) === className),
    storageClass: (name) => world.classes?.find((c) => c.metadata.name === name),
    csiDriver: (name) => world.drivers?.find((d) => d.metadata.name === name),
    capacities: (className) => (world.capacities ?? []).filter((c) => c.storageClassName === className),
    assumedClaimOf: (name) => world.assumed?.[name],
  };
}

const cls = (name: string, provisioner: string, extra: Partial<StorageClass> = {}): StorageClass => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: { name },
  provisioner,
  volumeBindingMode: "WaitForFirstConsumer",
  ...extra,
});
const local = cls("local", "kubernetes.io/no-provisioner");
const immediate = cls("fast", "kubernetes.io/no-provisioner", { volumeBindingMode: "Immediate" });
const csi = cls("csi", "hostpath.csi.k8s.io");
const zonal = cls("zonal", "hostpath.csi.k8s.io", {
  allowedTopologies: [{ matchLabelExpressions: [{ key: "zone", values: ["a"] }] }],
});

function claim(
  name: string,
  className: string,
  size = "5Gi",
  extra: Partial<PersistentVolumeClaim["spec"]> = {},
  bound = false,
  annotations?: Record<string, string>,
): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      annotations: bound ? { "pv.kubernetes.io/bind-completed": "yes", ...annotations } : annotations,
    },
    spec: {
      storageClassName: className,
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: size } },
      ...extra,
    },
  };
}

function pv(
  name: string,
  className: string,
  size: string,
  onNode?: string,
  extra: Partial<PersistentVolume["spec"]> = {},
  phase: "Available" | "Bound" = "Available",
): PersistentVolume {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      storageClassName: className,
      capacity: { storage: size },
      accessModes: ["ReadWriteOnce"],
      local: { path: "/mnt" },
      nodeAffinity: onNode
        ? {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [onNode] }] },
              ],
            },
          }
        : undefined,
      ...extra,
    },
    status: { phase },
  };
}

const node = (name: string, labels: Record<string, string> = {}): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } },
});

function podUsing(...claimNames: string[]): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "default" },
    spec: {
      containers: [{ name: "c", image: "busybox" }],
      volumes: claimNames.map((claimName, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName } })),
    },
  };
}

/** A pod (uid "uid-p") with one generic ephemeral volume "scratch": its claim is "p-scratch". */
const ephemeralPod: Pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "p", namespace: "default", uid: "uid-p" },
  spec: {
    containers: [{ name: "c", image: "busybox" }],
    volumes: [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: {} } } }],
  },
};
const ownedBy = (base: PersistentVolumeClaim, uid: string): PersistentVolumeClaim => ({
  ...base,
  metadata: {
    ...base.metadata,
    ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "p", uid, controller: true }],
  },
});

const preFilterCases = [
  {
    name: "a generic ephemeral volume waits for the ephemeral volume controller to make its claim",
    world: {},
    pod: ephemeralPod,
    want: 'waiting for ephemeral volume controller to create the persistentvolumeclaim "p-scratch"',
  },
  {
    name: "a generic ephemeral volume's claim that another owns rejects the pod",
    world: { claims: [ownedBy(claim("p-scratch", "local"), "uid-other")], classes: [local] },
    pod: ephemeralPod,
    want: "PVC default/p-scratch was not created for pod default/p (pod is not owner)",
  },
  {
    name: "a generic ephemeral volume's own unbound WaitForFirstConsumer claim passes",
    world: { claims: [ownedBy(claim("p-scratch", "local"), "uid-p")], classes: [local] },
    pod: ephemeralPod,
    want: undefined,
  },
  {
    name: "a missing claim rejects the pod",
    world: {},
    pod: podUsing("data"),
    want: 'persistentvolumeclaim "data" not found',
  },
  {
    name: "a claim being deleted rejects the pod",
    world: {
      claims: [
        {
          ...claim("data", "local"),
          metadata: { ...claim("data", "local").metadata, deletionTimestamp: "2026-01-01T00:00:00Z" },
        },
      ],
      classes: [local],
    },
    pod: podUsing("data"),
    want: 'persistentvolumeclaim "data" is being deleted',
  },
  {
    name: "an unbound claim of an Immediate class rejects the pod",
    world: { claims: [claim("data", "fast")], classes: [immediate] },
    pod: podUsing("data"),
    want: "pod has unbound immediate PersistentVolumeClaims",
  },
  {
    name: "an unbound claim of a class that does not exist counts as Immediate",
    world: { claims: [claim("data", "nope")] },
    pod: podUsing("data"),
    want: "pod has unbound immediate PersistentVolumeClaims",
  },
  {
    name: "a WaitForFirstConsumer claim pre-bound by the user (volumeName) is treated as immediate",
    world: { claims: [claim("data", "local", "5Gi", { volumeName: "pv-1" })], classes: [local] },
    pod: podUsing("data"),
    want: "pod has unbound immediate PersistentVolumeClaims",
  },
  {
    name: "an unbound WaitForFirstConsumer claim passes",
    world: { claims: [claim("data", "local")], classes: [local] },
    pod: podUsing("data"),
    want: undefined,
  },
  { name: "a pod without claims passes", world: {}, pod: podUsing(), want: undefined },
];
for (const c of preFilterCases) {
  test(`PreFilter: ${c.name}`, () => {
    const result = preFilterVolumes(view(c.world), c.pod);
    assert.equal("message" in result ? result.message : undefined, c.want);
  });
}

/** The CSI driver of the "csi" class, with storage capacity tracking on. */
const capacityTracking: CSIDriver = {
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIDriver",
  metadata: { name: "hostpath.csi.k8s.io" },
  spec: { storageCapacity: true },
};
/** What that driver published for the "csi" class on one node. */
const csiCapacity = (capacity: string, onNode: string): CSIStorageCapacity => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIStorageCapacity",
  metadata: { name: "c1", namespace: "kube-system" },
  storageClassName: "csi",
  capacity,
  nodeTopology: { matchLabels: { "kubernetes.io/hostname": onNode } },
});

const boundClaim = claim("data", "local", "5Gi", { volumeName: "pv-1" }, true);
const filterCases: {
  name: string;
  world: World;
  node: Node;
  want: string[] | { bind?: string[]; provision?: string[] };
}[] = [
  {
    name: "a bound volume on this node passes",
    world: { claims: [boundClaim], volumes: [pv("pv-1", "local", "5Gi", "node-1", {}, "Bound")], classes: [local] },
    node: node("node-1"),
    want: {},
  },
  {
    name: "a bound volume on another node: volume node affinity conflict",
    world: { claims: [boundClaim], volumes: [pv("pv-1", "local", "5Gi", "node-1", {}, "Bound")], classes: [local] },
    node: node("node-2"),
    want: [ErrReasonNodeConflict],
  },
  {
    name: "a claim bound to a volume that does not exist",
    world: { claims: [boundClaim], classes: [local] },
    node: node("node-1"),
    want: [ErrReasonPVNotExist],
  },
  {
    name: "a delayed claim takes the smallest fitting local PV of the node",
    world: {
      claims: [claim("data", "local")],
      volumes: [
        pv("big", "local", "20Gi", "node-1"),
        pv("small", "local", "5Gi", "node-1"),
        pv("tiny", "local", "1Gi", "node-1"),
      ],
      classes: [local],
    },
    node: node("node-1"),
    want: { bind: ["data→small"] },
  },
  {
    name: "no static PV on this node and no provisioner: didn't find available persistent volumes to bind",
    world: { claims: [claim("data", "local")], volumes: [pv("pv-1", "local", "5Gi", "node-1")], classes: [local] },
    node: node("node-2"),
    want: [ErrReasonBindConflict],
  },
  {
    name: "a PV already claimed by another claim is not taken",
    world: {
      claims: [claim("data", "local")],
      volumes: [pv("pv-1", "local", "5Gi", "node-1", { claimRef: { namespace: "default", name: "other" } })],
      classes: [local],
    },
    node: node("node-1"),
    want: [ErrReasonBindConflict],
  },
  {
    name: "a PV the scheduler assumed for another claim is not taken",
    world: {
      claims: [claim("data", "local")],
      volumes: [pv("pv-1", "local", "5Gi", "node-1")],
      classes: [local],
      assumed: { "pv-1": "default/other" },
    },
    node: node("node-1"),
    want: [ErrReasonBindConflict],
  },
  {
    name: "a PV with other access modes is not taken",
    world: {
      claims: [claim("data", "local", "5Gi", { accessModes: ["ReadWriteMany"] })],
      volumes: [pv("pv-1", "local", "5Gi", "node-1")],
      classes: [local],
    },
    node: node("node-1"),
    want: [ErrReasonBindConflict],
  },
  {
    name: "two claims of one pod never get the same PV",
    world: {
      claims: [claim("a", "local"), claim("b", "local")],
      volumes: [pv("pv-1", "local", "5Gi", "node-1")],
      classes: [local],
    },
    node: node("node-1"),
    want: [ErrReasonBindConflict],
  },
  {
    name: "without a static PV, a CSI class provisions on the node",
    world: { claims: [claim("data", "csi")], classes: [csi] },
    node: node("node-1"),
    want: { provision: ["data"] },
  },
  {
    name: "allowedTopologies that exclude the node: didn't find available persistent volumes to bind",
    world: { claims: [claim("data", "zonal")], classes: [zonal] },
    node: node("node-1", { zone: "b" }),
    want: [ErrReasonBindConflict],
  },
  {
    name: "allowedTopologies that include the node provision there",
    world: { claims: [claim("data", "zonal")], classes: [zonal] },
    node: node("node-1", { zone: "a" }),
    want: { provision: ["data"] },
  },
  {
    name: "a claim whose selected-node names another node cannot go here",
    world: {
      claims: [claim("data", "csi", "5Gi", {}, false, { "volume.kubernetes.io/selected-node": "node-2" })],
      classes: [csi],
    },
    node: node("node-1"),
    want: [ErrReasonBindConflict],
  },
  {
    name: "storage capacity tracking: no CSIStorageCapacity large enough: did not have enough free storage",
    world: {
      claims: [claim("data", "csi", "5Gi")],
      classes: [csi],
      drivers: [capacityTracking],
      capacities: [csiCapacity("1Gi", "node-1")],
    },
    node: node("node-1"),
    want: [ErrReasonNotEnoughSpace],
  },
  {
    name: "storage capacity tracking: a CSIStorageCapacity for the node with room provisions",
    world: {
      claims: [claim("data", "csi", "5Gi")],
      classes: [csi],
      drivers: [capacityTracking],
      capacities: [csiCapacity("10Gi", "node-1")],
    },
    node: node("node-1"),
    want: { provision: ["data"] },
  },
  {
    name: "storage capacity tracking: capacity published for another node does not count",
    world: {
      claims: [claim("data", "csi", "5Gi")],
      classes: [csi],
      drivers: [capacityTracking],
      capacities: [csiCapacity("10Gi", "node-2")],
    },
    node: node("node-1"),
    want: [ErrReasonNotEnoughSpace],
  },
];
for (const c of filterCases) {
  test(`Filter: ${c.name}`, () => {
    const v = view(c.world);
    const claimNames = (c.world.claims ?? []).map((x) => x.metadata.name ?? "");
    const pre = preFilterVolumes(v, podUsing(...claimNames));
    assert.ok(!("message" in pre), "prefilter passes");
    const result = filterVolumes(v, pre, c.node);
    if (Array.isArray(c.want)) {
      assert.deepEqual(result.status?.reasons, c.want);
    } else {
      assert.equal(result.status, undefined);
      assert.deepEqual(
        result.plan?.staticBindings.map((b) => `${b.claim.metadata.name}→${b.volume.metadata.name}`),
        c.want.bind ?? [],
      );
      assert.deepEqual(
        result.plan?.provisionings.map((x) => x.metadata.name),
        c.want.provision ?? [],
      );
    }
  });
}
