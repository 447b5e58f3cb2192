// core/v1 (apiVersion "v1"): the objects of the storage flow, with upstream's field names
// (k8s.io/api/core/v1/types.go). Volume sources live in volumes.ts, the Pod in podtypes.ts, node selectors,
// affinity and taints in scheduling.ts; all are re-exported here, so core/v1's types have one import.
import type { KubeObject, ListMeta, ObjectReference } from "../meta.js";
import type { ConditionStatus } from "./condition.js";
import type { Pod } from "./podtypes.js";
import type { Taint, VolumeNodeAffinity } from "./scheduling.js";
import type {
  PersistentVolumeAccessMode,
  PersistentVolumeClaimSpec,
  PersistentVolumeMode,
  PersistentVolumeSource,
  ResourceList,
} from "./volumes.js";

export * from "./condition.js";
export * from "./podtypes.js";
export * from "./scheduling.js";
export * from "./volumes.js";

export interface List<T> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

// ---- Namespace -------------------------------------------------------------------------------------------

export type NamespacePhase = "Active" | "Terminating";

export interface NamespaceCondition {
  type: string;
  status: ConditionStatus;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface Namespace extends KubeObject {
  apiVersion: "v1";
  kind: "Namespace";
  spec?: { finalizers?: string[] };
  status?: { phase?: NamespacePhase; conditions?: NamespaceCondition[] };
}

// ---- PersistentVolume ------------------------------------------------------------------------------------

export type PersistentVolumeReclaimPolicy = "Retain" | "Delete" | "Recycle";
export type PersistentVolumePhase = "Pending" | "Available" | "Bound" | "Released" | "Failed";

export interface PersistentVolumeSpec extends PersistentVolumeSource {
  capacity?: ResourceList;
  accessModes?: PersistentVolumeAccessMode[];
  claimRef?: ObjectReference;
  persistentVolumeReclaimPolicy?: PersistentVolumeReclaimPolicy;
  storageClassName?: string;
  mountOptions?: string[];
  volumeMode?: PersistentVolumeMode;
  nodeAffinity?: VolumeNodeAffinity;
  volumeAttributesClassName?: string;
}

export interface PersistentVolumeStatus {
  phase?: PersistentVolumePhase;
  message?: string;
  reason?: string;
  lastPhaseTransitionTime?: string;
}

export interface PersistentVolume extends KubeObject {
  apiVersion: "v1";
  kind: "PersistentVolume";
  spec: PersistentVolumeSpec;
  status?: PersistentVolumeStatus;
}

// ---- PersistentVolumeClaim -------------------------------------------------------------------------------

export type PersistentVolumeClaimPhase = "Pending" | "Bound" | "Lost";
export type PersistentVolumeClaimConditionType =
  | "Resizing"
  | "FileSystemResizePending"
  | "ControllerResizeError"
  | "NodeResizeError"
  | "ModifyVolumeError"
  | "ModifyingVolume";
export type ClaimResourceStatus =
  | "ControllerResizeInProgress"
  | "ControllerResizeInfeasible"
  | "NodeResizePending"
  | "NodeResizeInProgress"
  | "NodeResizeInfeasible";

export interface PersistentVolumeClaimCondition {
  type: PersistentVolumeClaimConditionType | string;
  status: ConditionStatus;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface ModifyVolumeStatus {
  targetVolumeAttributesClassName?: string;
  status: "Pending" | "InProgress" | "Infeasible";
}

export interface PersistentVolumeClaimStatus {
  phase?: PersistentVolumeClaimPhase;
  accessModes?: PersistentVolumeAccessMode[];
  capacity?: ResourceList;
  conditions?: PersistentVolumeClaimCondition[];
  allocatedResources?: ResourceList;
  allocatedResourceStatuses?: Record<string, ClaimResourceStatus>;
  currentVolumeAttributesClassName?: string;
  modifyVolumeStatus?: ModifyVolumeStatus;
}

export interface PersistentVolumeClaim extends KubeObject {
  apiVersion: "v1";
  kind: "PersistentVolumeClaim";
  spec: PersistentVolumeClaimSpec;
  status?: PersistentVolumeClaimStatus;
}

// ---- Node ------------------------------------------------------------------------------------------------

export interface NodeSpec {
  podCIDR?: string;
  podCIDRs?: string[];
  providerID?: string;
  unschedulable?: boolean;
  taints?: Taint[];
}

export type NodeConditionType = "Ready" | "MemoryPressure" | "DiskPressure" | "PIDPressure" | "NetworkUnavailable";

export interface NodeCondition {
  type: NodeConditionType | string;
  status: ConditionStatus;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface NodeAddress {
  type: "Hostname" | "InternalIP" | "ExternalIP" | "InternalDNS" | "ExternalDNS";
  address: string;
}

export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  operatingSystem: string;
  architecture: string;
}

export interface AttachedVolume {
  name: string;
  devicePath: string;
}

export interface NodeStatus {
  capacity?: ResourceList;
  allocatable?: ResourceList;
  phase?: string;
  conditions?: NodeCondition[];
  addresses?: NodeAddress[];
  daemonEndpoints?: { kubeletEndpoint?: { Port: number } };
  nodeInfo?: NodeSystemInfo;
  /** Unique names of volumes attached to the node (e.g. "kubernetes.io/csi/<driver>^<handle>"). */
  volumesInUse?: string[];
  volumesAttached?: AttachedVolume[];
}

export interface Node extends KubeObject {
  apiVersion: "v1";
  kind: "Node";
  spec?: NodeSpec;
  status?: NodeStatus;
}

// ---- ConfigMap, Secret -----------------------------------------------------------------------------------

export interface ConfigMap extends KubeObject {
  apiVersion: "v1";
  kind: "ConfigMap";
  immutable?: boolean;
  data?: Record<string, string>;
  /** base64 on the wire */
  binaryData?: Record<string, string>;
}

export interface Secret extends KubeObject {
  apiVersion: "v1";
  kind: "Secret";
  immutable?: boolean;
  /** base64 on the wire */
  data?: Record<string, string>;
  /** write-only convenience: merged into data on create/update */
  stringData?: Record<string, string>;
  type?: string;
}

// ---- Event (core/v1) -------------------------------------------------------------------------------------

export interface EventSource {
  component?: string;
  host?: string;
}

export interface EventSeries {
  count?: number;
  lastObservedTime?: string;
}

export interface Event extends KubeObject {
  apiVersion: "v1";
  kind: "Event";
  involvedObject: ObjectReference;
  reason?: string;
  message?: string;
  source?: EventSource;
  firstTimestamp?: string | null;
  lastTimestamp?: string | null;
  count?: number;
  type?: "Normal" | "Warning" | string;
  eventTime?: string | null;
  series?: EventSeries;
  action?: string;
  related?: ObjectReference;
  reportingComponent?: string;
  reportingInstance?: string;
}

export type PersistentVolumeList = List<PersistentVolume>;
export type PersistentVolumeClaimList = List<PersistentVolumeClaim>;
export type PodList = List<Pod>;
export type NodeList = List<Node>;
export type NamespaceList = List<Namespace>;
export type EventList = List<Event>;
