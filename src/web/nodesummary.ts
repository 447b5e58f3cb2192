// What the node page shows, as data: the volumes attached to the node (VolumeAttachments and the node's
// volumesAttached) and mounted (volumesInUse, as the kubelet reports them), the pods there with their claims, the
// capacity each StorageClass has there (CSIStorageCapacity whose topology matches the node's labels) and each CSI
// driver's attach limit (CSINode allocatable.count) against what is attached through it.
import type { Node, Pod } from "../api/core/types.js";
import type { LabelSelector } from "../api/meta.js";
import type { CSINode, CSIStorageCapacity, VolumeAttachment } from "../api/storage/types.js";

export interface NodeSummary {
  name: string;
  ready: boolean;
  attachments: Array<{ name: string; volume: string; attacher: string; attached: boolean; error?: string }>;
  /** volumesInUse: "kubernetes.io/csi/<driver>^<volume handle>" names, as the kubelet reports them. */
  inUse: string[];
  pods: Array<{ namespace: string; name: string; phase: string; claims: string[] }>;
  capacity: Array<{ storageClass: string; capacity: string; maximumVolumeSize: string }>;
  limits: Array<{ driver: string; limit?: number; attached: number }>;
}

export function nodeSummary(
  node: Node,
  attachments: VolumeAttachment[],
  csiNode: CSINode | undefined,
  capacities: CSIStorageCapacity[],
  pods: Pod[],
): NodeSummary {
  const name = node.metadata.name ?? "";
  const here = attachments.filter((a) => a.spec.nodeName === name);
  const labels = node.metadata.labels ?? {};
  return {
    name,
    ready: node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false,
    attachments: here.map((a) => ({
      name: a.metadata.name ?? "",
      volume: a.spec.source.persistentVolumeName ?? "(inline)",
      attacher: a.spec.attacher,
      attached: a.status?.attached ?? false,
      ...(a.status?.attachError?.message ? { error: a.status.attachError.message } : {}),
    })),
    inUse: [...(node.status?.volumesInUse ?? [])].sort(),
    pods: pods
      .filter((p) => p.spec.nodeName === name)
      .map((p) => ({
        namespace: p.metadata.namespace ?? "default",
        name: p.metadata.name ?? "",
        phase: p.status?.phase ?? "Pending",
        claims: (p.spec.volumes ?? []).flatMap((v) =>
          v.persistentVolumeClaim ? [v.persistentVolumeClaim.claimName] : [],
        ),
      })),
    capacity: capacities
      .filter((c) => matchesNode(c, labels))
      .map((c) => ({
        storageClass: c.storageClassName,
        capacity: c.capacity ?? "",
        maximumVolumeSize: c.maximumVolumeSize ?? "",
      }))
      .sort((a, b) => (a.storageClass < b.storageClass ? -1 : 1)),
    limits: (csiNode?.spec.drivers ?? []).map((driver) => ({
      driver: driver.name,
      ...(driver.allocatable?.count !== undefined ? { limit: driver.allocatable.count } : {}),
      attached: here.filter((a) => a.spec.attacher === driver.name).length,
    })),
  };
}

/** A capacity without topology is for every node. */
function matchesNode(capacity: CSIStorageCapacity, labels: Record<string, string>): boolean {
  return !capacity.nodeTopology || selects(capacity.nodeTopology, labels);
}

/**
 * metav1.LabelSelector's meaning (matchLabels and In/NotIn/Exists/DoesNotExist), written here rather than taken from
 * src/api/selectors, whose validation uses Node's Buffer: this file runs in the browser.
 */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((e) => {
    const has = Object.hasOwn(labels, e.key);
    switch (e.operator) {
      case "In":
        return has && (e.values ?? []).includes(labels[e.key]);
      case "NotIn":
        return !has || !(e.values ?? []).includes(labels[e.key]);
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return false;
    }
  });
}
