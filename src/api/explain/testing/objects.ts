// Builders for explain's tables: a cluster as a few objects, each built in one line.
import type { StatefulSet } from "../../apps/types.js";
import type { Lease } from "../../coordination/types.js";
import type { Event, Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../../core/types.js";
import type { KubeObject } from "../../meta.js";
import type { VolumeSnapshot, VolumeSnapshotClass } from "../../snapshot/types.js";
import type { CSIDriver, CSINode, CSIStorageCapacity, StorageClass, VolumeAttachment } from "../../storage/types.js";
import { emptyCluster, type ClusterObjects } from "../cluster.js";

export const driver = "hostpath.csi.k8s.io";
export const now = new Date("2026-06-01T12:00:00Z");

export function cluster(...objects: KubeObject[]): ClusterObjects {
  const c = emptyCluster(now);
  for (const o of objects) {
    switch (o.kind) {
      case "PersistentVolumeClaim":
        c.claims.push(o as PersistentVolumeClaim);
        break;
      case "PersistentVolume":
        c.volumes.push(o as PersistentVolume);
        break;
      case "Pod":
        c.pods.push(o as Pod);
        break;
      case "Node":
        c.nodes.push(o as Node);
        break;
      case "StorageClass":
        c.storageClasses.push(o as StorageClass);
        break;
      case "CSIDriver":
        c.csiDrivers.push(o as CSIDriver);
        break;
      case "CSINode":
        c.csiNodes.push(o as CSINode);
        break;
      case "CSIStorageCapacity":
        c.capacities.push(o as CSIStorageCapacity);
        break;
      case "VolumeAttachment":
        c.volumeAttachments.push(o as VolumeAttachment);
        break;
      case "Lease":
        c.leases.push(o as Lease);
        break;
      case "Event":
        c.events.push(o as Event);
        break;
      case "VolumeSnapshot":
        c.volumeSnapshots.push(o as VolumeSnapshot);
        break;
      case "VolumeSnapshotClass":
        c.volumeSnapshotClasses.push(o as VolumeSnapshotClass);
        break;
      case "StatefulSet":
        c.statefulSets.push(o as StatefulSet);
        break;
      default:
        throw new Error(`cluster(): no list for kind ${String(o.kind)}`);
    }
  }
  return c;
}

export const node = (name: string, ready = true, labels: Record<string, string> = {}): Node => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name, labels: { "kubernetes.io/hostname": name, ...labels } },
  spec: {},
  status: {
    conditions: [
      { type: "Ready", status: ready ? "True" : "Unknown", reason: ready ? "KubeletReady" : "NodeStatusUnknown" },
    ],
  },
});

export const csiDriver = (name = driver, spec: CSIDriver["spec"] = {}): CSIDriver => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIDriver",
  metadata: { name },
  spec,
});

export const csiNode = (name: string, ...drivers: string[]): CSINode => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSINode",
  metadata: { name },
  spec: { drivers: drivers.map((d) => ({ name: d, nodeID: name })) },
});

export const lease = (name: string, renewTime: string): Lease => ({
  apiVersion: "coordination.k8s.io/v1",
  kind: "Lease",
  metadata: { name, namespace: "default" },
  spec: { holderIdentity: "host-a", leaseDurationSeconds: 15, renewTime },
});

export const capacity = (name: string, className: string, size: string, nodeName?: string): CSIStorageCapacity => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "CSIStorageCapacity",
  metadata: { name, namespace: "default" },
  storageClassName: className,
  capacity: size,
  ...(nodeName ? { nodeTopology: { matchLabels: { "kubernetes.io/hostname": nodeName } } } : {}),
});

export const event = (about: KubeObject, reason: string, message: string, at = "2026-06-01T11:59:00Z"): Event => ({
  apiVersion: "v1",
  kind: "Event",
  metadata: { name: `${about.metadata.name ?? ""}.${reason}`, namespace: about.metadata.namespace ?? "default" },
  involvedObject: {
    kind: about.kind,
    name: about.metadata.name,
    namespace: about.metadata.namespace,
    uid: about.metadata.uid,
  },
  reason,
  message,
  type: "Warning",
  lastTimestamp: at,
});

export interface PodOptions {
  claims?: string[];
  nodeName?: string;
  phase?: Pod["status"] extends infer S ? (S extends { phase?: infer P } ? P : never) : never;
  labels?: Record<string, string>;
  owner?: { kind: string; name: string };
  inlineDriver?: string;
  unschedulable?: string;
  waiting?: string;
}

export function pod(name: string, o: PodOptions = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "default",
      uid: `uid-${name}`,
      ...(o.labels ? { labels: o.labels } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: "apps/v1", ...o.owner, uid: "owner", controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: "app", image: "busybox" }],
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      volumes: [
        ...(o.claims ?? []).map((claimName) => ({ name: claimName, persistentVolumeClaim: { claimName } })),
        ...(o.inlineDriver ? [{ name: "inline", csi: { driver: o.inlineDriver } }] : []),
      ],
    },
    status: {
      phase: o.phase ?? "Pending",
      ...(o.unschedulable
        ? {
            conditions: [
              { type: "PodScheduled", status: "False" as const, reason: "Unschedulable", message: o.unschedulable },
            ],
          }
        : {}),
      ...(o.waiting
        ? {
            containerStatuses: [
              {
                name: "app",
                ready: false,
                restartCount: 3,
                image: "busybox",
                imageID: "",
                state: { waiting: { reason: o.waiting } },
              },
            ],
          }
        : {}),
    },
  };
}

/** A CSI volume of `driver` bound to claim `claimName` (uid-<claim>). */
export function csiVolume(
  name: string,
  claimName: string,
  modes: PersistentVolume["spec"]["accessModes"] = ["ReadWriteOnce"],
): PersistentVolume {
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: { name },
    spec: {
      capacity: { storage: "1Gi" },
      accessModes: modes,
      csi: { driver, volumeHandle: `handle-${name}` },
      storageClassName: "standard",
      claimRef: { kind: "PersistentVolumeClaim", namespace: "default", name: claimName, uid: `uid-${claimName}` },
    },
    status: { phase: "Bound" },
  };
}

export function boundClaim(name: string, volumeName: string): PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name, namespace: "default", uid: `uid-${name}` },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "1Gi" } },
      storageClassName: "standard",
      volumeName,
    },
    status: { phase: "Bound", capacity: { storage: "1Gi" } },
  };
}

export const attachment = (
  volumeName: string,
  nodeName: string,
  status: VolumeAttachment["status"] = { attached: true },
): VolumeAttachment => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "VolumeAttachment",
  metadata: { name: `csi-${volumeName}-${nodeName}` },
  spec: { attacher: driver, nodeName, source: { persistentVolumeName: volumeName } },
  status,
});

export const snapshot = (
  name: string,
  o: { claim?: string; className?: string; ready?: boolean; error?: string } = {},
): VolumeSnapshot => ({
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshot",
  metadata: { name, namespace: "default" },
  spec: {
    source: { persistentVolumeClaimName: o.claim ?? "data" },
    ...(o.className ? { volumeSnapshotClassName: o.className } : {}),
  },
  status: { readyToUse: o.ready ?? false, ...(o.error ? { error: { message: o.error } } : {}) },
});

export const snapshotClass = (name: string): VolumeSnapshotClass => ({
  apiVersion: "snapshot.storage.k8s.io/v1",
  kind: "VolumeSnapshotClass",
  metadata: { name, annotations: { "snapshot.storage.kubernetes.io/is-default-class": "true" } },
  driver,
  deletionPolicy: "Delete",
});

export const statefulSet = (name: string, replicas: number): StatefulSet => ({
  apiVersion: "apps/v1",
  kind: "StatefulSet",
  metadata: { name, namespace: "default", uid: `uid-${name}` },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "app", image: "busybox" }] } },
  },
  status: { replicas, readyReplicas: 0 },
});
