// The storage map as data: StorageClasses → claims → PVs → VolumeAttachments → nodes → pods, one chain per claim
// (and per unclaimed PV), filtered by namespace, class, node and state, each object marked stuck with its latest
// Warning event while it is not where it should be. Pure, so node tests check it and the browser draws it.
import type { Event, Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import type { StorageClass, VolumeAttachment } from "../api/storage/types.js";
import { latestWarning } from "./events.js";

export const mapKinds = [
  "StorageClass",
  "PersistentVolumeClaim",
  "PersistentVolume",
  "VolumeAttachment",
  "Node",
  "Pod",
] as const;
export type MapKind = (typeof mapKinds)[number];

export interface MapObjects {
  classes: StorageClass[];
  claims: PersistentVolumeClaim[];
  volumes: PersistentVolume[];
  attachments: VolumeAttachment[];
  nodes: Node[];
  pods: Pod[];
  events: Event[];
}

export interface MapItem {
  id: string;
  kind: MapKind;
  name: string;
  namespace?: string;
  /** Phase, Ready/NotReady, Attached/Attaching. */
  state: string;
  /** Why it waits: its latest Warning event (or attach error), while its state is not a settled one. */
  stuck?: string;
}

export interface MapEdge {
  from: string;
  to: string;
}

export interface MapFilter {
  namespace?: string;
  storageClass?: string;
  node?: string;
  /** A state (Pending, Bound, Running, …) or "stuck". */
  state?: string;
}

export interface StorageMap {
  columns: Record<MapKind, MapItem[]>;
  edges: MapEdge[];
}

export const mapId = (kind: MapKind, name: string, namespace?: string): string =>
  namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;

/** The states an object settles in; anything else with a Warning event is stuck. */
const settled = new Set(["Bound", "Available", "Attached", "Ready", "Running", "Succeeded", ""]);

function stateOf(kind: MapKind, object: MapObjectOf): string {
  switch (kind) {
    case "StorageClass":
      return "";
    case "VolumeAttachment":
      return (object as VolumeAttachment).status?.attached ? "Attached" : "Attaching";
    case "Node": {
      const ready = (object as Node).status?.conditions?.find((c) => c.type === "Ready");
      return ready?.status === "True" ? "Ready" : "NotReady";
    }
    default:
      return (object as { status?: { phase?: string } }).status?.phase ?? "Pending";
  }
}

type MapObjectOf = StorageClass | PersistentVolumeClaim | PersistentVolume | VolumeAttachment | Node | Pod;

function itemOf(kind: MapKind, object: MapObjectOf, events: Event[]): MapItem {
  const { name = "", namespace } = object.metadata;
  const state = stateOf(kind, object);
  const item: MapItem = { id: mapId(kind, name, namespace), kind, name, state };
  if (namespace) item.namespace = namespace;
  if (!settled.has(state)) {
    const attachError = kind === "VolumeAttachment" ? (object as VolumeAttachment).status?.attachError : undefined;
    const warning = attachError?.message ?? latestWarning(events, kind, name, namespace)?.message;
    if (warning) item.stuck = warning;
  }
  return item;
}

/** One claim's (or unclaimed PV's) objects, and the edges between them. */
interface Chain {
  items: MapItem[];
  edges: MapEdge[];
  namespace?: string;
  storageClass: string;
  nodes: Set<string>;
}

export function storageMap(objects: MapObjects, filter: MapFilter = {}): StorageMap {
  const chains = buildChains(objects).filter((chain) => matches(chain, filter));
  const columns = Object.fromEntries(mapKinds.map((k) => [k, [] as MapItem[]])) as Record<MapKind, MapItem[]>;
  const seen = new Set<string>();
  const edges = new Map<string, MapEdge>();
  const add = (item: MapItem) => {
    if (seen.has(item.id)) return;
    seen.add(item.id);
    columns[item.kind].push(item);
  };
  for (const chain of chains) {
    chain.items.forEach(add);
    for (const edge of chain.edges) edges.set(`${edge.from}>${edge.to}`, edge);
  }
  // Nodes are where volumes go: all of them show until a filter narrows the map.
  if (!filter.namespace && !filter.storageClass && !filter.state) {
    for (const node of objects.nodes) {
      if (!filter.node || node.metadata.name === filter.node) add(itemOf("Node", node, objects.events));
    }
  }
  return { columns, edges: [...edges.values()] };
}

function matches(chain: Chain, filter: MapFilter): boolean {
  if (filter.namespace && chain.namespace !== filter.namespace) return false;
  if (filter.storageClass && chain.storageClass !== filter.storageClass) return false;
  if (filter.node && !chain.nodes.has(filter.node)) return false;
  if (filter.state === "stuck") return chain.items.some((i) => i.stuck);
  if (filter.state) return chain.items.some((i) => i.state === filter.state);
  return true;
}

function buildChains(objects: MapObjects): Chain[] {
  const item = (kind: MapKind, object: MapObjectOf) => itemOf(kind, object, objects.events);
  const classes = new Map(objects.classes.map((c) => [c.metadata.name, c]));
  const nodes = new Map(objects.nodes.map((n) => [n.metadata.name, n]));
  const volumes = new Map(objects.volumes.map((v) => [v.metadata.name, v]));
  const claimed = new Set<string>();
  const chains: Chain[] = [];

  const volumeChain = (chain: Chain, volume: PersistentVolume, from?: MapItem) => {
    const volumeItem = item("PersistentVolume", volume);
    chain.items.push(volumeItem);
    if (from) chain.edges.push({ from: from.id, to: volumeItem.id });
    for (const attachment of objects.attachments) {
      if (attachment.spec.source.persistentVolumeName !== volume.metadata.name) continue;
      const attachmentItem = item("VolumeAttachment", attachment);
      chain.items.push(attachmentItem);
      chain.edges.push({ from: volumeItem.id, to: attachmentItem.id });
      const node = nodes.get(attachment.spec.nodeName);
      if (node) {
        chain.items.push(item("Node", node));
        chain.nodes.add(attachment.spec.nodeName);
        chain.edges.push({ from: attachmentItem.id, to: mapId("Node", attachment.spec.nodeName) });
      }
    }
    return volumeItem;
  };

  for (const claim of objects.claims) {
    const namespace = claim.metadata.namespace ?? "default";
    const storageClass = claim.spec.storageClassName ?? "";
    const chain: Chain = { items: [], edges: [], namespace, storageClass, nodes: new Set() };
    const claimItem = item("PersistentVolumeClaim", claim);
    const sc = classes.get(storageClass);
    if (sc) {
      chain.items.push(item("StorageClass", sc));
      chain.edges.push({ from: mapId("StorageClass", storageClass), to: claimItem.id });
    }
    chain.items.push(claimItem);
    const volume = claim.spec.volumeName ? volumes.get(claim.spec.volumeName) : undefined;
    const volumeItem = volume && volumeChain(chain, volume, claimItem);
    if (volume) claimed.add(volume.metadata.name ?? "");
    const hasAttachment = chain.items.some((i) => i.kind === "VolumeAttachment");
    for (const pod of objects.pods) {
      if (pod.metadata.namespace !== namespace) continue;
      if (!pod.spec.volumes?.some((v) => v.persistentVolumeClaim?.claimName === claim.metadata.name)) continue;
      const podItem = item("Pod", pod);
      chain.items.push(podItem);
      chain.edges.push({ from: claimItem.id, to: podItem.id });
      const nodeName = pod.spec.nodeName;
      const node = nodeName ? nodes.get(nodeName) : undefined;
      if (!nodeName || !node) continue;
      chain.nodes.add(nodeName);
      chain.items.push(item("Node", node));
      chain.edges.push({ from: mapId("Node", nodeName), to: podItem.id });
      // a driver that needs no attach (hostpath) goes from the volume straight to the node that mounts it
      if (volumeItem && !hasAttachment) chain.edges.push({ from: volumeItem.id, to: mapId("Node", nodeName) });
    }
    chains.push(chain);
  }
  for (const volume of objects.volumes) {
    if (claimed.has(volume.metadata.name ?? "")) continue;
    const storageClass = volume.spec.storageClassName ?? "";
    const chain: Chain = { items: [], edges: [], storageClass, nodes: new Set() };
    const sc = classes.get(storageClass);
    if (sc) chain.items.push(item("StorageClass", sc));
    const volumeItem = volumeChain(chain, volume);
    if (sc) chain.edges.push({ from: mapId("StorageClass", storageClass), to: volumeItem.id });
    chains.push(chain);
  }
  return chains;
}
