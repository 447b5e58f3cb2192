// Unknown-field detection for fieldValidation: the fields each kind's Go type declares, at the levels users
// most often mistype (top level, metadata, and the spec of the storage objects). A field not listed for a
// kind we do not know is never called unknown: a false warning would be worse than a missed one.
const objectMeta = new Set([
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
]);
const base = ["apiVersion", "kind", "metadata"];
const withSpec = [...base, "spec", "status"];

const pvSources = [
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "hostPath",
  "glusterfs",
  "nfs",
  "rbd",
  "iscsi",
  "cinder",
  "cephfs",
  "fc",
  "flocker",
  "flexVolume",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "portworxVolume",
  "scaleIO",
  "local",
  "storageos",
  "csi",
];

const topLevel: Record<string, string[]> = {
  PersistentVolume: withSpec,
  PersistentVolumeClaim: withSpec,
  Pod: withSpec,
  Namespace: withSpec,
  Node: withSpec,
  StatefulSet: withSpec,
  Deployment: withSpec,
  ReplicaSet: withSpec,
  DaemonSet: withSpec,
  Job: withSpec,
  CronJob: withSpec,
  VolumeAttachment: withSpec,
  CSIDriver: withSpec,
  CSINode: withSpec,
  Lease: [...base, "spec"],
  VolumeSnapshot: withSpec,
  VolumeSnapshotContent: withSpec,
  VolumeSnapshotClass: [...base, "driver", "parameters", "deletionPolicy"],
  StorageClass: [
    ...base,
    "provisioner",
    "parameters",
    "reclaimPolicy",
    "mountOptions",
    "allowVolumeExpansion",
    "volumeBindingMode",
    "allowedTopologies",
  ],
  ConfigMap: [...base, "immutable", "data", "binaryData"],
  Secret: [...base, "immutable", "data", "stringData", "type"],
  CSIStorageCapacity: [...base, "nodeTopology", "storageClassName", "capacity", "maximumVolumeSize"],
  Event: [
    ...base,
    "involvedObject",
    "reason",
    "message",
    "source",
    "firstTimestamp",
    "lastTimestamp",
    "count",
    "type",
    "eventTime",
    "series",
    "action",
    "related",
    "reportingComponent",
    "reportingInstance",
  ],
};

const specFields: Record<string, string[]> = {
  PersistentVolume: [
    "capacity",
    "accessModes",
    "claimRef",
    "persistentVolumeReclaimPolicy",
    "storageClassName",
    "mountOptions",
    "volumeMode",
    "nodeAffinity",
    "volumeAttributesClassName",
    ...pvSources,
  ],
  PersistentVolumeClaim: [
    "accessModes",
    "selector",
    "resources",
    "volumeName",
    "storageClassName",
    "volumeMode",
    "dataSource",
    "dataSourceRef",
    "volumeAttributesClassName",
  ],
};

/** Paths of fields the kind's type does not declare, as upstream prints them ("spec.foo", "metadata.bar"). */
export function unknownFields(kind: string, object: Record<string, unknown>): string[] {
  const known = topLevel[kind];
  if (!known) return [];
  const out: string[] = [];
  for (const key of Object.keys(object)) if (!known.includes(key)) out.push(key);
  const meta = object.metadata;
  if (meta && typeof meta === "object" && !Array.isArray(meta)) {
    for (const key of Object.keys(meta)) if (!objectMeta.has(key)) out.push(`metadata.${key}`);
  }
  const spec = object.spec;
  const specKnown = specFields[kind];
  if (specKnown && spec && typeof spec === "object" && !Array.isArray(spec)) {
    for (const key of Object.keys(spec)) if (!specKnown.includes(key)) out.push(`spec.${key}`);
  }
  return out.sort();
}

/** Drops the fields unknownFields reports, as decoding into upstream's Go types drops them (Warn and Ignore). */
export function dropUnknownFields(kind: string, object: Record<string, unknown>): void {
  for (const path of unknownFields(kind, object)) {
    const [first, second] = path.split(".");
    if (second === undefined) delete object[first];
    else delete (object[first] as Record<string, unknown>)[second];
  }
}
