// Builders for the storage-rule tables: volume("v", "5Gi", {...}), claim("c", "1Gi", {...}), storageClass("gold").
import type {
  PersistentVolume,
  PersistentVolumeAccessMode,
  PersistentVolumeClaim,
  PersistentVolumeMode,
  PersistentVolumePhase,
  VolumeNodeAffinity,
} from "../../core/types.js";
import type { LabelSelector, ObjectReference } from "../../meta.js";
import type { StorageClass, VolumeBindingMode } from "../../storage/types.js";

const betaClass = "volume.beta.kubernetes.io/storage-class";

export interface VolumeOptions {
  modes?: PersistentVolumeAccessMode[];
  /** spec.storageClassName; unset when undefined. */
  className?: string;
  betaClass?: string;
  phase?: PersistentVolumePhase;
  claimRef?: ObjectReference;
  labels?: Record<string, string>;
  volumeMode?: PersistentVolumeMode;
  nodeAffinity?: VolumeNodeAffinity;
  deleting?: boolean;
}

/** An Available RWO volume of `size` (no class unless given). */
export function volume(name: string, size: string | undefined, o: VolumeOptions = {}): PersistentVolume {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.betaClass !== undefined ? { annotations: { [betaClass]: o.betaClass } } : {}),
      ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: {
      ...(size !== undefined ? { capacity: { storage: size } } : {}),
      accessModes: o.modes ?? ["ReadWriteOnce"],
      hostPath: { path: `/tmp/${name}` },
      ...(o.className !== undefined ? { storageClassName: o.className } : {}),
      ...(o.claimRef ? { claimRef: o.claimRef } : {}),
      ...(o.volumeMode ? { volumeMode: o.volumeMode } : {}),
      ...(o.nodeAffinity ? { nodeAffinity: o.nodeAffinity } : {}),
    },
    status: { phase: o.phase ?? "Available" },
  };
}

export interface ClaimOptions {
  modes?: PersistentVolumeAccessMode[];
  /** spec.storageClassName; unset when undefined. */
  className?: string;
  betaClass?: string;
  selector?: LabelSelector;
  volumeMode?: PersistentVolumeMode;
  namespace?: string;
  uid?: string;
  capacity?: string;
}

/** A RWO claim in "default" with uid "uid-<name>" asking for `size` (no class unless given). */
export function claim(name: string, size: string | undefined, o: ClaimOptions = {}): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name,
      namespace: o.namespace ?? "default",
      uid: o.uid ?? `uid-${name}`,
      resourceVersion: "7",
      ...(o.betaClass !== undefined ? { annotations: { [betaClass]: o.betaClass } } : {}),
    },
    spec: {
      accessModes: o.modes ?? ["ReadWriteOnce"],
      ...(size !== undefined ? { resources: { requests: { storage: size } } } : {}),
      ...(o.className !== undefined ? { storageClassName: o.className } : {}),
      ...(o.selector ? { selector: o.selector } : {}),
      ...(o.volumeMode ? { volumeMode: o.volumeMode } : {}),
    },
    ...(o.capacity ? { status: { phase: "Bound" as const, capacity: { storage: o.capacity } } } : {}),
  };
}

/** claimRef as a user writes it (no UID) or as a binding writes it (with the claim's UID). */
export function ref(name: string, uid?: string, namespace = "default"): ObjectReference {
  return { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace, name, ...(uid ? { uid } : {}) };
}

export function storageClass(
  name: string,
  o: { mode?: VolumeBindingMode | null; isDefault?: "ga" | "beta" | "false"; created?: string } = {},
): StorageClass {
  const annotation: Record<string, string> | undefined =
    o.isDefault === "beta"
      ? { "storageclass.beta.kubernetes.io/is-default-class": "true" }
      : o.isDefault === undefined
        ? undefined
        : { "storageclass.kubernetes.io/is-default-class": o.isDefault === "ga" ? "true" : "false" };
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name,
      creationTimestamp: o.created ?? "2026-01-01T00:00:00Z",
      ...(annotation ? { annotations: annotation } : {}),
    },
    provisioner: "hostpath.csi.k8s.io",
    ...(o.mode === null ? {} : { volumeBindingMode: o.mode ?? "Immediate" }),
  };
}

/** Required node affinity of one term with one expression. */
export function affinity(
  key: string,
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist" | "Gt" | "Lt",
  values?: string[],
): VolumeNodeAffinity {
  return {
    required: { nodeSelectorTerms: [{ matchExpressions: [{ key, operator, ...(values ? { values } : {}) }] }] },
  };
}
