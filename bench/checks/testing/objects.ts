// Small objects for the checkers' tests: a claim, a PV bound to it, a node, a pod.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../../src/api/core/types.js";

export function claim(
  name: string,
  size: string,
  options: { className?: string; volumeName?: string } = {},
): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default", uid: `uid-${name}` },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: options.className ?? "",
      resources: { requests: { storage: size } },
      ...(options.volumeName ? { volumeName: options.volumeName } : {}),
    },
    status: { phase: options.volumeName ? "Bound" : "Pending" },
  };
}

export function volume(
  name: string,
  size: string,
  options: { claim?: PersistentVolumeClaim; className?: string; node?: string; handle?: string } = {},
): PersistentVolume {
  const c = options.claim;
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: size },
      accessModes: ["ReadWriteOnce"],
      storageClassName: options.className ?? "",
      ...(options.handle
        ? { csi: { driver: "hostpath.csi.k8s.io", volumeHandle: options.handle } }
        : { hostPath: { path: `/tmp/${name}` } }),
      ...(c ? { claimRef: { namespace: "default", name: c.metadata.name, uid: c.metadata.uid } } : {}),
      ...(options.node
        ? {
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [options.node] }] },
                ],
              },
            },
          }
        : {}),
    },
    status: { phase: c ? "Bound" : "Available" },
  };
}

/** A claim bound to a new PV of the same size: the pair a binder should produce. */
export function boundPair(name: string, size: string, options: { node?: string; handle?: string } = {}) {
  const c = claim(name, size, { volumeName: `pv-${name}` });
  return { claim: c, volume: volume(`pv-${name}`, size, { claim: c, ...options }) };
}

export const node = (name: string): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "kubernetes.io/hostname": name } },
});

export const pod = (name: string, claimName: string, nodeName: string): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default" },
  spec: {
    nodeName,
    containers: [{ name: "app", image: "busybox" }],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
  },
});
