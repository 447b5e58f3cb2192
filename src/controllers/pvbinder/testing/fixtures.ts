// Builders for the table tests: pv("a", "5Gi", {...}), pvc("c", "1Gi", {...}), sc("fast", {...}).
import type {
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  PersistentVolumeMode,
  PersistentVolumePhase,
  PersistentVolumeReclaimPolicy,
  Pod,
  VolumeNodeAffinity,
} from "../../../api/core/types.js";
import type { LabelSelector, ObjectReference } from "../../../api/meta.js";
import type { StorageClass, VolumeBindingMode } from "../../../api/storage/types.js";

export interface PVOptions {
  modes?: PersistentVolumeAccessMode[];
  className?: string;
  betaClass?: string;
  phase?: PersistentVolumePhase;
  claimRef?: ObjectReference;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  volumeMode?: PersistentVolumeMode;
  policy?: PersistentVolumeReclaimPolicy;
  nodeAffinity?: VolumeNodeAffinity;
  deleting?: boolean;
  hostPath?: string;
  csi?: boolean;
}

export function pv(name: string, size: string, o: PVOptions = {}): PersistentVolume {
  const annotations = { ...(o.annotations ?? {}) };
  if (o.betaClass !== undefined) annotations["volume.beta.kubernetes.io/storage-class"] = o.betaClass;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      uid: `uid-pv-${name}`,
      resourceVersion: "1",
      labels: o.labels,
      annotations: Object.keys(annotations).length ? annotations : undefined,
      deletionTimestamp: o.deleting ? "2026-01-01T00:00:00Z" : undefined,
    },
    spec: {
      capacity: { storage: size },
      accessModes: o.modes ?? ["ReadWriteOnce"],
      ...(o.csi
        ? { csi: { driver: "hostpath.csi.stowage.io", volumeHandle: name } }
        : { hostPath: { path: o.hostPath ?? `/tmp/${name}` } }),
      persistentVolumeReclaimPolicy: o.policy ?? "Retain",
      ...(o.className !== undefined ? { storageClassName: o.className } : {}),
      ...(o.claimRef ? { claimRef: o.claimRef } : {}),
      ...(o.volumeMode ? { volumeMode: o.volumeMode } : {}),
      ...(o.nodeAffinity ? { nodeAffinity: o.nodeAffinity } : {}),
    },
    status: { phase: o.phase ?? "Available" },
  };
}

export interface PVCOptions {
  modes?: PersistentVolumeAccessMode[];
  className?: string | null;
  betaClass?: string;
  volumeName?: string;
  selector?: LabelSelector;
  volumeMode?: PersistentVolumeMode;
  annotations?: Record<string, string>;
  uid?: string;
  namespace?: string;
  phase?: "Pending" | "Bound" | "Lost";
}

export function pvc(name: string, size: string, o: PVCOptions = {}): PersistentVolumeClaim {
  const annotations = { ...(o.annotations ?? {}) };
  if (o.betaClass !== undefined) annotations["volume.beta.kubernetes.io/storage-class"] = o.betaClass;
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      uid: o.uid ?? `uid-${name}`,
      resourceVersion: "1",
      annotations: Object.keys(annotations).length ? annotations : undefined,
    },
    spec: {
      accessModes: o.modes ?? ["ReadWriteOnce"],
      resources: { requests: { storage: size } },
      // null in a case means "unset" (no class chosen); undefined means the default fixture class ""
      ...(o.className === null ? {} : { storageClassName: o.className ?? "" }),
      ...(o.volumeName ? { volumeName: o.volumeName } : {}),
      ...(o.selector ? { selector: o.selector } : {}),
      ...(o.volumeMode ? { volumeMode: o.volumeMode } : {}),
    },
    status: { phase: o.phase ?? "Pending" },
  };
}

/** claimRef as a user writes it (no UID) or as the binder writes it (with the claim's UID). */
export function ref(name: string, uid?: string, namespace = "default"): ObjectReference {
  return { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace, name, ...(uid ? { uid } : {}) };
}

export function sc(
  name: string,
  o: { provisioner?: string; mode?: VolumeBindingMode; isDefault?: boolean; created?: string } = {},
): StorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name,
      creationTimestamp: o.created ?? "2026-01-01T00:00:00Z",
      annotations: o.isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : undefined,
    },
    provisioner: o.provisioner ?? "hostpath.csi.stowage.io",
    reclaimPolicy: "Delete",
    volumeBindingMode: o.mode ?? "Immediate",
  };
}

export function pod(
  name: string,
  claimName: string,
  o: {
    nodeName?: string;
    phase?: Pod["status"] extends infer S ? (S extends { phase?: infer P } ? P : never) : never;
  } = {},
): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", uid: `uid-pod-${name}` },
    spec: {
      containers: [{ name: "app", image: "busybox" }],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
    },
    status: { phase: o.phase ?? "Pending" },
  };
}
