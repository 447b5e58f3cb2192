// Small valid objects for client tests.
import type { ConfigMap, Namespace, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/core/types.js";

export const namespace = (name: string): Namespace => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });

export const volume = (name: string, size = "1Gi", labels?: Record<string, string>): PersistentVolume => ({
  apiVersion: "v1",
  kind: "PersistentVolume",
  metadata: labels ? { name, labels } : { name },
  spec: {
    capacity: { storage: size },
    accessModes: ["ReadWriteOnce"],
    persistentVolumeReclaimPolicy: "Retain",
    hostPath: { path: `/tmp/${name}` },
  },
});

export const claim = (ns: string, name: string, size = "1Gi"): PersistentVolumeClaim => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { namespace: ns, name },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } },
});

export const configMap = (ns: string, name: string, data: Record<string, string> = {}): ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { namespace: ns, name },
  data,
});

/** A one-container pod; `spec` adds to (or replaces parts of) it, e.g. nodeName or volumes. */
export const pod = (ns: string, name: string, spec: Partial<Pod["spec"]> = {}): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { namespace: ns, name },
  spec: { containers: [{ name, image: "busybox" }], ...spec },
});
