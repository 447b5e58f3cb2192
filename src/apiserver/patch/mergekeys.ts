// The strategic-merge-patch metadata of the types stowage serves: upstream's `patchStrategy` and `patchMergeKey`
// struct tags (k8s.io/api v0.32 core/v1, apps/v1, storage/v1; k8s.io/apimachinery meta/v1), as data.
//
// Only what a strategic merge needs is listed: every field that carries a tag, and the struct-typed fields that
// lead to one (`type`). A field not listed has no tag: its maps merge key by key and its lists are replaced whole
// (atomic), as upstream treats untagged fields — e.g. a PV's or PVC's accessModes, a Pod's tolerations, a Node's
// taints and a StatefulSet's volumeClaimTemplates.

export type PatchStrategy = "merge" | "replace" | "retainKeys" | "merge,retainKeys";

export interface PatchFieldMeta {
  /** The field's struct type (for lists, the element's), when it leads to tagged fields. */
  readonly type?: string;
  readonly patchStrategy?: PatchStrategy;
  /** The element field that identifies list elements (lists of objects with strategy merge). */
  readonly patchMergeKey?: string;
}

export type PatchStruct = Readonly<Record<string, PatchFieldMeta>>;

const mergeBy = (patchMergeKey: string, type?: string): PatchFieldMeta => ({
  patchStrategy: "merge",
  patchMergeKey,
  ...(type ? { type } : {}),
});

/** Struct name (Go package path tail + type name) → its fields' metadata. */
export const patchStructs: Readonly<Record<string, PatchStruct>> = {
  "meta/v1.ObjectMeta": {
    ownerReferences: mergeBy("uid"),
    finalizers: { patchStrategy: "merge" }, // a list of strings: merged as a set, removed with $deleteFromPrimitiveList
  },
  "meta/v1.Object": { metadata: { type: "meta/v1.ObjectMeta" } },

  // core/v1
  "core/v1.Pod": {
    metadata: { type: "meta/v1.ObjectMeta" },
    spec: { type: "core/v1.PodSpec" },
    status: { type: "core/v1.PodStatus" },
  },
  "core/v1.PodTemplateSpec": { metadata: { type: "meta/v1.ObjectMeta" }, spec: { type: "core/v1.PodSpec" } },
  "core/v1.PodSpec": {
    volumes: { patchStrategy: "merge,retainKeys", patchMergeKey: "name" },
    initContainers: mergeBy("name", "core/v1.Container"),
    containers: mergeBy("name", "core/v1.Container"),
    ephemeralContainers: mergeBy("name", "core/v1.EphemeralContainer"),
    imagePullSecrets: mergeBy("name"),
    hostAliases: mergeBy("ip"),
    topologySpreadConstraints: mergeBy("topologyKey"),
    schedulingGates: mergeBy("name"),
    resourceClaims: { patchStrategy: "merge,retainKeys", patchMergeKey: "name" },
  },
  "core/v1.Container": {
    ports: mergeBy("containerPort"),
    env: mergeBy("name"),
    volumeMounts: mergeBy("mountPath"),
    volumeDevices: mergeBy("devicePath"),
  },
  // EphemeralContainerCommon is embedded inline, so its tags are the ephemeral container's own
  "core/v1.EphemeralContainer": {
    ports: mergeBy("containerPort"),
    env: mergeBy("name"),
    volumeMounts: mergeBy("mountPath"),
    volumeDevices: mergeBy("devicePath"),
  },
  "core/v1.PodStatus": {
    conditions: mergeBy("type"),
    hostIPs: mergeBy("ip"),
    podIPs: mergeBy("ip"),
    resourceClaimStatuses: { patchStrategy: "merge,retainKeys", patchMergeKey: "name" },
    // containerStatuses and friends carry no tag: replaced whole, so their elements' tags never apply
  },
  "core/v1.PersistentVolume": { metadata: { type: "meta/v1.ObjectMeta" } },
  "core/v1.PersistentVolumeClaim": {
    metadata: { type: "meta/v1.ObjectMeta" },
    status: { type: "core/v1.PersistentVolumeClaimStatus" },
  },
  "core/v1.PersistentVolumeClaimStatus": { conditions: mergeBy("type") },
  "core/v1.Node": {
    metadata: { type: "meta/v1.ObjectMeta" },
    spec: { type: "core/v1.NodeSpec" },
    status: { type: "core/v1.NodeStatus" },
  },
  "core/v1.NodeSpec": { podCIDRs: { patchStrategy: "merge" } },
  "core/v1.NodeStatus": { conditions: mergeBy("type"), addresses: mergeBy("type") },
  "core/v1.Namespace": { metadata: { type: "meta/v1.ObjectMeta" }, status: { type: "core/v1.NamespaceStatus" } },
  "core/v1.NamespaceStatus": { conditions: mergeBy("type") },

  // storage/v1
  "storage/v1.CSINode": { metadata: { type: "meta/v1.ObjectMeta" }, spec: { type: "storage/v1.CSINodeSpec" } },
  "storage/v1.CSINodeSpec": { drivers: mergeBy("name") },

  // apps/v1
  "apps/v1.StatefulSet": {
    metadata: { type: "meta/v1.ObjectMeta" },
    spec: { type: "apps/v1.StatefulSetSpec" },
    status: { type: "apps/v1.StatefulSetStatus" },
  },
  "apps/v1.StatefulSetSpec": { template: { type: "core/v1.PodTemplateSpec" } },
  "apps/v1.StatefulSetStatus": { conditions: mergeBy("type") },
  "apps/v1.Deployment": {
    metadata: { type: "meta/v1.ObjectMeta" },
    spec: { type: "apps/v1.DeploymentSpec" },
    status: { type: "apps/v1.DeploymentStatus" },
  },
  "apps/v1.DeploymentSpec": { template: { type: "core/v1.PodTemplateSpec" } },
  "apps/v1.DeploymentStatus": { conditions: mergeBy("type") },
  "apps/v1.ReplicaSet": {
    metadata: { type: "meta/v1.ObjectMeta" },
    spec: { type: "apps/v1.ReplicaSetSpec" },
    status: { type: "apps/v1.ReplicaSetStatus" },
  },
  "apps/v1.ReplicaSetSpec": { template: { type: "core/v1.PodTemplateSpec" } },
  "apps/v1.ReplicaSetStatus": { conditions: mergeBy("type") },
  "apps/v1.DaemonSet": {
    metadata: { type: "meta/v1.ObjectMeta" },
    spec: { type: "apps/v1.DaemonSetSpec" },
    status: { type: "apps/v1.DaemonSetStatus" },
  },
  "apps/v1.DaemonSetSpec": { template: { type: "core/v1.PodTemplateSpec" } },
  "apps/v1.DaemonSetStatus": { conditions: mergeBy("type") },

  // batch/v1
  "batch/v1.Job": {
    metadata: { type: "meta/v1.ObjectMeta" },
    spec: { type: "batch/v1.JobSpec" },
    status: { type: "batch/v1.JobStatus" },
  },
  "batch/v1.JobSpec": { template: { type: "core/v1.PodTemplateSpec" } },
  "batch/v1.JobStatus": { conditions: mergeBy("type") },
  "batch/v1.CronJob": { metadata: { type: "meta/v1.ObjectMeta" }, spec: { type: "batch/v1.CronJobSpec" } },
  "batch/v1.CronJobSpec": { jobTemplate: { type: "batch/v1.JobTemplateSpec" } },
  "batch/v1.JobTemplateSpec": { metadata: { type: "meta/v1.ObjectMeta" }, spec: { type: "batch/v1.JobSpec" } },
};

/** "group/version/Kind" ("" group for core) → its struct in patchStructs. */
export const patchKinds: Readonly<Record<string, string>> = {
  "/v1/Namespace": "core/v1.Namespace",
  "/v1/PersistentVolume": "core/v1.PersistentVolume",
  "/v1/PersistentVolumeClaim": "core/v1.PersistentVolumeClaim",
  "/v1/Pod": "core/v1.Pod",
  "/v1/Node": "core/v1.Node",
  "/v1/ConfigMap": "meta/v1.Object",
  "/v1/Secret": "meta/v1.Object",
  "/v1/Event": "meta/v1.Object",
  "storage.k8s.io/v1/StorageClass": "meta/v1.Object",
  "storage.k8s.io/v1/CSIDriver": "meta/v1.Object",
  "storage.k8s.io/v1/CSINode": "storage/v1.CSINode",
  "storage.k8s.io/v1/VolumeAttachment": "meta/v1.Object",
  "storage.k8s.io/v1/CSIStorageCapacity": "meta/v1.Object",
  "apps/v1/StatefulSet": "apps/v1.StatefulSet",
  "apps/v1/Deployment": "apps/v1.Deployment",
  "apps/v1/ReplicaSet": "apps/v1.ReplicaSet",
  "apps/v1/DaemonSet": "apps/v1.DaemonSet",
  "batch/v1/Job": "batch/v1.Job",
  "batch/v1/CronJob": "batch/v1.CronJob",
  "coordination.k8s.io/v1/Lease": "meta/v1.Object",
};

/**
 * Groups whose kinds are CustomResourceDefinitions upstream (the external-snapshotter installs them as CRDs).
 * Upstream has no Go struct for them, so it refuses strategic merge patch with 415.
 */
export const customResourceGroups: readonly string[] = ["snapshot.storage.k8s.io"];
