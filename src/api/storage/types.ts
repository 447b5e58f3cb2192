// storage.k8s.io/v1: field names as upstream's k8s.io/api/storage/v1/types.go.
import type { NodeSelectorTerm, PersistentVolumeReclaimPolicy, PersistentVolumeSpec } from "../core/types.js";
import type { KubeObject, LabelSelector } from "../meta.js";

export type VolumeBindingMode = "Immediate" | "WaitForFirstConsumer";

export interface TopologySelectorLabelRequirement {
  key: string;
  values: string[];
}

export interface TopologySelectorTerm {
  matchLabelExpressions?: TopologySelectorLabelRequirement[];
}

export interface StorageClass extends KubeObject {
  apiVersion: "storage.k8s.io/v1";
  kind: "StorageClass";
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: PersistentVolumeReclaimPolicy;
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: VolumeBindingMode;
  allowedTopologies?: TopologySelectorTerm[];
}

// ---- CSIDriver -------------------------------------------------------------------------------------------

export type VolumeLifecycleMode = "Persistent" | "Ephemeral";
export type FSGroupPolicy = "ReadWriteOnceWithFSType" | "File" | "None";

export interface TokenRequest {
  audience: string;
  expirationSeconds?: number;
}

export interface CSIDriverSpec {
  attachRequired?: boolean;
  podInfoOnMount?: boolean;
  volumeLifecycleModes?: VolumeLifecycleMode[];
  storageCapacity?: boolean;
  fsGroupPolicy?: FSGroupPolicy;
  tokenRequests?: TokenRequest[];
  requiresRepublish?: boolean;
  seLinuxMount?: boolean;
  nodeAllocatableUpdatePeriodSeconds?: number;
}

export interface CSIDriver extends KubeObject {
  apiVersion: "storage.k8s.io/v1";
  kind: "CSIDriver";
  spec: CSIDriverSpec;
}

// ---- CSINode ---------------------------------------------------------------------------------------------

export interface VolumeNodeResources {
  count?: number;
}

export interface CSINodeDriver {
  name: string;
  nodeID: string;
  topologyKeys?: string[] | null;
  allocatable?: VolumeNodeResources;
}

export interface CSINode extends KubeObject {
  apiVersion: "storage.k8s.io/v1";
  kind: "CSINode";
  spec: { drivers: CSINodeDriver[] };
}

// ---- VolumeAttachment ------------------------------------------------------------------------------------

export interface VolumeAttachmentSource {
  persistentVolumeName?: string;
  /** Used for migrated in-tree inline volumes; carries a whole PV spec. */
  inlineVolumeSpec?: PersistentVolumeSpec;
}

export interface VolumeAttachmentSpec {
  attacher: string;
  source: VolumeAttachmentSource;
  nodeName: string;
}

export interface VolumeError {
  time?: string;
  message?: string;
  errorCode?: number;
}

export interface VolumeAttachmentStatus {
  attached: boolean;
  attachmentMetadata?: Record<string, string>;
  attachError?: VolumeError;
  detachError?: VolumeError;
}

export interface VolumeAttachment extends KubeObject {
  apiVersion: "storage.k8s.io/v1";
  kind: "VolumeAttachment";
  spec: VolumeAttachmentSpec;
  status?: VolumeAttachmentStatus;
}

// ---- CSIStorageCapacity ----------------------------------------------------------------------------------

export interface CSIStorageCapacity extends KubeObject {
  apiVersion: "storage.k8s.io/v1";
  kind: "CSIStorageCapacity";
  nodeTopology?: LabelSelector;
  storageClassName: string;
  /** quantity text */
  capacity?: string;
  /** quantity text */
  maximumVolumeSize?: string;
}

/** Re-exported so callers matching allowedTopologies need not import core. */
export type { NodeSelectorTerm };
