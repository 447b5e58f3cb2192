// snapshot.storage.k8s.io/v1 (the external-snapshotter CRDs): field names as
// kubernetes-csi/external-snapshotter client/apis/volumesnapshot/v1/types.go.
import type { KubeObject, ObjectReference } from "../meta.js";

export type DeletionPolicy = "Delete" | "Retain";

export interface VolumeSnapshotSource {
  /** Exactly one of the two: snapshot this claim (dynamic) … */
  persistentVolumeClaimName?: string;
  /** … or bind to this pre-existing content (static). */
  volumeSnapshotContentName?: string;
}

export interface VolumeSnapshotSpec {
  source: VolumeSnapshotSource;
  volumeSnapshotClassName?: string;
}

export interface VolumeSnapshotError {
  time?: string;
  message?: string;
}

export interface VolumeSnapshotStatus {
  boundVolumeSnapshotContentName?: string;
  creationTime?: string;
  readyToUse?: boolean;
  /** quantity text */
  restoreSize?: string;
  error?: VolumeSnapshotError;
  volumeGroupSnapshotName?: string;
}

export interface VolumeSnapshot extends KubeObject {
  apiVersion: "snapshot.storage.k8s.io/v1";
  kind: "VolumeSnapshot";
  spec: VolumeSnapshotSpec;
  status?: VolumeSnapshotStatus;
}

export interface VolumeSnapshotContentSource {
  /** Dynamic: the CSI volume handle to snapshot. */
  volumeHandle?: string;
  /** Static: the CSI snapshot handle that already exists. */
  snapshotHandle?: string;
}

export interface VolumeSnapshotContentSpec {
  volumeSnapshotRef: ObjectReference;
  deletionPolicy: DeletionPolicy;
  driver: string;
  volumeSnapshotClassName?: string;
  source: VolumeSnapshotContentSource;
  sourceVolumeMode?: "Block" | "Filesystem";
}

export interface VolumeSnapshotContentStatus {
  snapshotHandle?: string;
  /** Nanoseconds since the epoch, as the CSI CreateSnapshot reply gives it. */
  creationTime?: number;
  /** Bytes. */
  restoreSize?: number;
  readyToUse?: boolean;
  error?: VolumeSnapshotError;
  volumeGroupSnapshotHandle?: string;
}

export interface VolumeSnapshotContent extends KubeObject {
  apiVersion: "snapshot.storage.k8s.io/v1";
  kind: "VolumeSnapshotContent";
  spec: VolumeSnapshotContentSpec;
  status?: VolumeSnapshotContentStatus;
}

export interface VolumeSnapshotClass extends KubeObject {
  apiVersion: "snapshot.storage.k8s.io/v1";
  kind: "VolumeSnapshotClass";
  driver: string;
  parameters?: Record<string, string>;
  deletionPolicy: DeletionPolicy;
}
