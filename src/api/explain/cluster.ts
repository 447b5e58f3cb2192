// The snapshot explain reads: every object that can move or stop a claim, pod, volume, attachment, snapshot or
// StatefulSet, as listed from the API at one moment. Explain is pure over it (objects in, verdict out), so the
// CLI, the dashboard and the tables all feed it the same way.
import type { StatefulSet } from "../apps/types.js";
import type { Lease } from "../coordination/types.js";
import type { Event, Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../core/types.js";
import type { KubeObject } from "../meta.js";
import type { VolumeSnapshot, VolumeSnapshotClass, VolumeSnapshotContent } from "../snapshot/types.js";
import type { CSIDriver, CSINode, CSIStorageCapacity, StorageClass, VolumeAttachment } from "../storage/types.js";

export interface ClusterObjects {
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  pods: Pod[];
  nodes: Node[];
  storageClasses: StorageClass[];
  csiDrivers: CSIDriver[];
  csiNodes: CSINode[];
  capacities: CSIStorageCapacity[];
  volumeAttachments: VolumeAttachment[];
  leases: Lease[];
  events: Event[];
  volumeSnapshots: VolumeSnapshot[];
  volumeSnapshotContents: VolumeSnapshotContent[];
  volumeSnapshotClasses: VolumeSnapshotClass[];
  statefulSets: StatefulSet[];
  /** When the snapshot was taken: Lease freshness is judged against it. */
  now: Date;
}

export const emptyCluster = (now = new Date()): ClusterObjects => ({
  claims: [],
  volumes: [],
  pods: [],
  nodes: [],
  storageClasses: [],
  csiDrivers: [],
  csiNodes: [],
  capacities: [],
  volumeAttachments: [],
  leases: [],
  events: [],
  volumeSnapshots: [],
  volumeSnapshotContents: [],
  volumeSnapshotClasses: [],
  statefulSets: [],
  now,
});

export function named<T extends KubeObject>(list: readonly T[], name: string, namespace?: string): T | undefined {
  return list.find((o) => o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
}

/** The object's events, newest first (by lastTimestamp, eventTime or creation). */
export function eventsOf(cluster: ClusterObjects, object: KubeObject & { kind?: string }): Event[] {
  const when = (e: Event) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? "") || 0;
  return cluster.events
    .filter((e) => {
      const ref = e.involvedObject;
      if (object.metadata.uid && ref.uid) return ref.uid === object.metadata.uid;
      return (
        ref.kind === object.kind &&
        ref.name === object.metadata.name &&
        (ref.namespace ?? "") === (object.metadata.namespace ?? "")
      );
    })
    .sort((a, b) => when(b) - when(a));
}

/** The newest event of one of these reasons, if any. */
export function lastEvent(
  cluster: ClusterObjects,
  object: KubeObject & { kind?: string },
  ...reasons: string[]
): Event | undefined {
  return eventsOf(cluster, object).find((e) => reasons.includes(e.reason ?? ""));
}

export function nodeIsReady(node: Node): boolean {
  return node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

/** A Lease whose holder renewed it within its duration, as of the snapshot. */
export function leaseIsFresh(lease: Lease, now: Date): boolean {
  const renewed = Date.parse(lease.spec?.renewTime ?? lease.spec?.acquireTime ?? "");
  if (!lease.spec?.holderIdentity || Number.isNaN(renewed)) return false;
  return renewed + (lease.spec.leaseDurationSeconds ?? 15) * 1000 >= now.getTime();
}

/** kubectl's short form of a list of access modes: RWO, ROX, RWX, RWOP. */
export function shortModes(modes: readonly string[] | undefined): string {
  const short: Record<string, string> = {
    ReadWriteOnce: "RWO",
    ReadOnlyMany: "ROX",
    ReadWriteMany: "RWX",
    ReadWriteOncePod: "RWOP",
  };
  return (modes ?? []).map((m) => short[m] ?? m).join(",") || "none";
}

/**
 * Does anything say the CSI driver is installed: its CSIDriver object, a node registering it, or a fresh Lease of
 * one of its sidecars (csi-lib-utils names them for the driver, e.g. external-attacher-leader-<driver>)?
 */
export function driverIsKnown(cluster: ClusterObjects, driver: string): boolean {
  const sanitized = driver.replace(/[^a-zA-Z0-9-]/g, "-");
  return (
    cluster.csiDrivers.some((d) => d.metadata.name === driver) ||
    cluster.csiNodes.some((n) => n.spec.drivers.some((d) => d.name === driver)) ||
    cluster.leases.some((l) => (l.metadata.name ?? "").endsWith(sanitized) && leaseIsFresh(l, cluster.now))
  );
}
