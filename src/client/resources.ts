// Where each resource lives on the wire. The client keeps its own small table (it must not import the
// apiserver's registry); the names are Kubernetes' own, so a wrong row shows up as a 404 in the tests.
import type { Lease } from "../api/coordination/types.js";
import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from "../api/apps/types.js";
import type { CronJob, Job } from "../api/batch/types.js";
import type {
  ConfigMap,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  Secret,
} from "../api/core/types.js";
import type { KubeObject } from "../api/meta.js";
import type { ServiceAccount } from "../api/core/serviceaccount.js";
import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from "../api/snapshot/types.js";
import type { CSIDriver, CSINode, CSIStorageCapacity, StorageClass, VolumeAttachment } from "../api/storage/types.js";

export interface ResourceDescriptor<T extends KubeObject = KubeObject, N extends boolean = boolean> {
  group: string; // "" for core
  version: string;
  kind: T["kind"];
  plural: string;
  namespaced: N;
}

/** "v1" for core, "group/version" otherwise: the apiVersion objects of this resource carry. */
export const apiVersionOf = (d: ResourceDescriptor): string => (d.group ? `${d.group}/${d.version}` : d.version);

/** /api/v1 or /apis/group/version: where the resource's URLs start. */
export const apiPrefixOf = (d: ResourceDescriptor): string =>
  d.group ? `/apis/${d.group}/${d.version}` : `/api/${d.version}`;

/** group/resource as upstream prints it in messages, e.g. persistentvolumeclaims or leases.coordination.k8s.io */
export const groupResourceOf = (d: ResourceDescriptor): string => (d.group ? `${d.plural}.${d.group}` : d.plural);

function resource<T extends KubeObject, N extends boolean>(
  group: string,
  version: string,
  kind: T["kind"],
  plural: string,
  namespaced: N,
): ResourceDescriptor<T, N> {
  return { group, version, kind, plural, namespaced };
}

export const resources = {
  namespaces: resource<Namespace, false>("", "v1", "Namespace", "namespaces", false),
  nodes: resource<Node, false>("", "v1", "Node", "nodes", false),
  persistentVolumes: resource<PersistentVolume, false>("", "v1", "PersistentVolume", "persistentvolumes", false),
  persistentVolumeClaims: resource<PersistentVolumeClaim, true>(
    "",
    "v1",
    "PersistentVolumeClaim",
    "persistentvolumeclaims",
    true,
  ),
  pods: resource<Pod, true>("", "v1", "Pod", "pods", true),
  events: resource<Event, true>("", "v1", "Event", "events", true),
  configMaps: resource<ConfigMap, true>("", "v1", "ConfigMap", "configmaps", true),
  secrets: resource<Secret, true>("", "v1", "Secret", "secrets", true),
  serviceAccounts: resource<ServiceAccount, true>("", "v1", "ServiceAccount", "serviceaccounts", true),
  storageClasses: resource<StorageClass, false>("storage.k8s.io", "v1", "StorageClass", "storageclasses", false),
  csiDrivers: resource<CSIDriver, false>("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false),
  csiNodes: resource<CSINode, false>("storage.k8s.io", "v1", "CSINode", "csinodes", false),
  volumeAttachments: resource<VolumeAttachment, false>(
    "storage.k8s.io",
    "v1",
    "VolumeAttachment",
    "volumeattachments",
    false,
  ),
  csiStorageCapacities: resource<CSIStorageCapacity, true>(
    "storage.k8s.io",
    "v1",
    "CSIStorageCapacity",
    "csistoragecapacities",
    true,
  ),
  volumeSnapshots: resource<VolumeSnapshot, true>(
    "snapshot.storage.k8s.io",
    "v1",
    "VolumeSnapshot",
    "volumesnapshots",
    true,
  ),
  volumeSnapshotContents: resource<VolumeSnapshotContent, false>(
    "snapshot.storage.k8s.io",
    "v1",
    "VolumeSnapshotContent",
    "volumesnapshotcontents",
    false,
  ),
  volumeSnapshotClasses: resource<VolumeSnapshotClass, false>(
    "snapshot.storage.k8s.io",
    "v1",
    "VolumeSnapshotClass",
    "volumesnapshotclasses",
    false,
  ),
  statefulSets: resource<StatefulSet, true>("apps", "v1", "StatefulSet", "statefulsets", true),
  deployments: resource<Deployment, true>("apps", "v1", "Deployment", "deployments", true),
  replicaSets: resource<ReplicaSet, true>("apps", "v1", "ReplicaSet", "replicasets", true),
  daemonSets: resource<DaemonSet, true>("apps", "v1", "DaemonSet", "daemonsets", true),
  jobs: resource<Job, true>("batch", "v1", "Job", "jobs", true),
  cronJobs: resource<CronJob, true>("batch", "v1", "CronJob", "cronjobs", true),
  leases: resource<Lease, true>("coordination.k8s.io", "v1", "Lease", "leases", true),
} as const;

export type ResourceName = keyof typeof resources;
