// The scheduler's view of the cluster: the shared informers' caches plus what this scheduler assumed and the
// watches have not shown yet (upstream's scheduler cache + the volume binder's assume caches). Assumptions keep
// two pods scheduled back to back from both taking one static PV, and count pods on their node before the
// binding's watch event arrives.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from "../api/core/types.js";
import type { CSIDriver, CSINode, CSIStorageCapacity, StorageClass } from "../api/storage/types.js";
import type { Informer, InformerFactory } from "../client/index.js";
import { keyOf } from "../client/index.js";
import type { VolumeView } from "./volumebinding.js";
import { volumeClass } from "../api/storagerules/class.js";
import { podClaimNames } from "./volumebinding.js";
import { FreeVolumes, type SharedCandidates } from "./freevolumes.js";
import { NodeLabelIndex } from "./nodelabels.js";
import { PodsByNode } from "./nodepods.js";
import { VolumeNodeScreen, type ScreenView } from "./prescreen.js";

const nodeIndex = "scheduler-node";
const classIndex = "scheduler-class";
const claimIndex = "scheduler-claim";
const claimRefIndex = "scheduler-claimref";

/** A volume this scheduler assumed for a claim, as upstream's assume cache shows it: claimRef set. */
function withClaimRef(volume: PersistentVolume, claimKey: string): PersistentVolume {
  const slash = claimKey.indexOf("/");
  const claimRef = { namespace: claimKey.slice(0, slash), name: claimKey.slice(slash + 1) };
  return { ...volume, spec: { ...volume.spec, claimRef } };
}

const capacityIndex = "scheduler-capacity";
const capacityClassIndex = "scheduler-capacity-class";
const capacityKey = (className: string, key = "", value = "") => `${className}\u0000${key}\u0000${value}`;

/**
 * CSIStorageCapacity by class and the one node label its topology asks for (`matchLabels: {key: value}`, what
 * external-provisioner publishes), so that a node finds its own among thousands; any other topology is filed
 * under the class alone and checked against every node, as before.
 */
function capacityKeys(capacity: CSIStorageCapacity): string[] {
  const topology = capacity.nodeTopology;
  const labels = Object.entries(topology?.matchLabels ?? {});
  if (topology && labels.length === 1 && (topology.matchExpressions ?? []).length === 0) {
    const [[key, value]] = labels;
    return [capacityKey(capacity.storageClassName, key, value)];
  }
  return [capacityKey(capacity.storageClassName)];
}

/** addIndexer throws when a shared informer already has the name: the same function, so that is fine. */
function ensureIndex<T extends Pod | PersistentVolume | CSIStorageCapacity>(
  informer: Informer<T>,
  name: string,
  fn: (object: T) => string[],
) {
  try {
    informer.addIndexer(name, fn);
  } catch {
    // already there
  }
}

export class SchedulerCache implements VolumeView, ScreenView {
  readonly pods: Informer<Pod>;
  readonly nodes: Informer<Node>;
  readonly volumes: Informer<PersistentVolume>;
  readonly claims: Informer<PersistentVolumeClaim>;
  readonly classes: Informer<StorageClass>;
  readonly drivers: Informer<CSIDriver>;
  readonly csiNodes: Informer<CSINode>;
  readonly capacityObjects: Informer<CSIStorageCapacity>;
  /** pod key → node, until the pod informer shows spec.nodeName. */
  private readonly assumedPods = new Map<string, string>();
  /** The same, by node: every filter of every node asks for its pods, so a scan of every assumed pod per node made
   * a scheduling cycle nodes × assumed pods. */
  private readonly assumedOnNode = new Map<string, Set<string>>();
  /** Every node's name in order, kept until a node comes or goes: a cycle used to list and sort 5,000 nodes. */
  private sortedNodeNames: string[] | undefined;
  /** PV name → claim key it is being pre-bound to, until the PV informer shows the claimRef. */
  private readonly assumedVolumes = new Map<string, string>();
  /** The same, by claim key. */
  private readonly assumedForClaim = new Map<string, Set<string>>();
  /** Free PVs shared by claims alike (freevolumes.ts). */
  private readonly free: FreeVolumes;
  /** Bound pods and their volumes per node, from pod events (nodepods.ts). */
  private readonly bound = new PodsByNode();
  readonly nodeLabels = new NodeLabelIndex();
  /** Moves when classes, CSIDrivers or CSIStorageCapacities change (node labels have their own). */
  private storageGeneration = 0;
  /** The nodes a pod's delayed claims may be satisfied on (prescreen.ts). */
  readonly screen: VolumeNodeScreen;

  constructor(informers: InformerFactory) {
    this.pods = informers.pods;
    this.nodes = informers.nodes;
    this.volumes = informers.persistentVolumes;
    this.claims = informers.persistentVolumeClaims;
    this.classes = informers.storageClasses;
    this.drivers = informers.csiDrivers;
    this.csiNodes = informers.csiNodes;
    this.capacityObjects = informers.csiStorageCapacities;
    ensureIndex(this.pods, nodeIndex, (pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : []));
    ensureIndex(this.volumes, classIndex, (volume) => [volumeClass(volume)]);
    ensureIndex(this.pods, claimIndex, (pod) =>
      podClaimNames(pod).map((claim) => `${pod.metadata.namespace ?? ""}/${claim}`),
    );
    ensureIndex(this.capacityObjects, capacityIndex, capacityKeys);
    ensureIndex(this.capacityObjects, capacityClassIndex, (capacity) => [capacity.storageClassName]);
    this.pods.addHandlers({
      add: (pod) => this.bound.set(keyOf(pod), pod),
      update: (_old, pod) => {
        this.bound.set(keyOf(pod), pod);
        if (pod.spec.nodeName) this.forgetPod(keyOf(pod));
      },
      delete: (pod) => {
        this.bound.delete(keyOf(pod));
        this.forgetPod(keyOf(pod));
      },
    });
    this.nodes.addHandlers({
      add: (node) => {
        this.sortedNodeNames = undefined;
        this.nodeLabels.set(node);
      },
      update: (_old, node) => this.nodeLabels.set(node),
      delete: (node) => {
        this.sortedNodeNames = undefined;
        this.nodeLabels.delete(node.metadata.name ?? "");
      },
    });
    const storageChanged = (): void => {
      this.storageGeneration++;
    };
    this.classes.onChange(storageChanged);
    this.drivers.onChange(storageChanged);
    this.capacityObjects.onChange(storageChanged);
    this.screen = new VolumeNodeScreen(this);
    ensureIndex(this.volumes, claimRefIndex, (volume) => {
      const ref = volume.spec.claimRef;
      return ref ? [`${ref.namespace ?? ""}/${ref.name ?? ""}`] : [];
    });
    this.free = new FreeVolumes(
      (className) => this.volumesOfClass(className),
      (name) => this.volumes.get(name),
      (name) => this.assumedVolumes.has(name),
    );
    this.volumes.addHandlers({
      add: (volume) => this.free.changed(volumeClass(volume)),
      update: (old, volume) => {
        const name = volume.metadata.name ?? "";
        const assumed = this.assumedVolumes.has(name); // then taken() was said when it was assumed
        if (volume.spec.claimRef) this.dropAssumedVolume(name);
        if (old === volume) return; // a resync: nothing changed
        if (volumeClass(old) !== volumeClass(volume)) this.free.changed(volumeClass(old));
        if (!volume.spec.claimRef) this.free.changed(volumeClass(volume));
        else if (!old.spec.claimRef && !assumed) this.free.taken(volumeClass(volume));
      },
      delete: (volume) => {
        this.dropAssumedVolume(volume.metadata.name ?? "");
        this.free.taken(volumeClass(volume));
      },
    });
  }

  // ---- VolumeView ----
  claim(namespace: string, name: string): PersistentVolumeClaim | undefined {
    return this.claims.get(`${namespace}/${name}`);
  }
  volume(name: string): PersistentVolume | undefined {
    return this.volumes.get(name);
  }
  volumesOfClass(className: string): readonly PersistentVolume[] {
    return this.volumes.byIndex(classIndex, className);
  }
  storageClass(name: string): StorageClass | undefined {
    return this.classes.get(name);
  }
  csiDriver(name: string): CSIDriver | undefined {
    return this.drivers.get(name);
  }
  capacities(className: string, node: Node): readonly CSIStorageCapacity[] {
    const found = [...this.capacityObjects.byIndex(capacityIndex, capacityKey(className))];
    for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
      found.push(...this.capacityObjects.byIndex(capacityIndex, capacityKey(className, key, value)));
    }
    return found;
  }
  capacitiesOfClass(className: string): readonly CSIStorageCapacity[] {
    return this.capacityObjects.byIndex(capacityClassIndex, className);
  }
  topologyGeneration(): number {
    return this.nodeLabels.generation + this.storageGeneration;
  }
  assumedClaimOf(volumeName: string): string | undefined {
    return this.assumedVolumes.get(volumeName);
  }
  freeCandidates(claim: PersistentVolumeClaim): SharedCandidates {
    return this.free.candidates(claim);
  }
  isFree(volume: PersistentVolume): boolean {
    return this.free.isOpen(volume);
  }
  volumesClaimedBy(claimKey: string): readonly PersistentVolume[] {
    const found = [...this.volumes.byIndex(claimRefIndex, claimKey)];
    for (const name of this.assumedForClaim.get(claimKey) ?? []) {
      const volume = this.volumes.get(name);
      if (volume && !volume.spec.claimRef) found.push(withClaimRef(volume, claimKey));
    }
    return found;
  }

  /** The names of every node, sorted: the order a cycle filters them in, from where the last one stopped. */
  nodeNames(): readonly string[] {
    this.sortedNodeNames ??= this.nodes.keys().sort();
    return this.sortedNodeNames;
  }

  // ---- pods per node ----
  /** Pods bound to the node (informer) plus pods assumed onto it. */
  podsOn(nodeName: string): Pod[] {
    const bound = this.pods.byIndex(nodeIndex, nodeName);
    const assumed: Pod[] = [];
    for (const key of this.assumedOnNode.get(nodeName) ?? []) {
      const pod = this.pods.get(key);
      if (pod && !pod.spec.nodeName) assumed.push(pod);
    }
    return assumed.length ? [...bound, ...assumed] : bound;
  }

  podCountOn(nodeName: string): number {
    return this.bound.podCount(nodeName) + (this.assumedOnNode.get(nodeName)?.size ?? 0);
  }

  /** How many volumes the node's pods (assumed ones too) declare: at most that many CSI volumes are in use. */
  volumeCountOn(nodeName: string): number {
    let count = this.bound.volumeCount(nodeName);
    for (const key of this.assumedOnNode.get(nodeName) ?? []) {
      const pod = this.pods.get(key);
      if (pod && !pod.spec.nodeName) count += pod.spec.volumes?.length ?? 0;
    }
    return count;
  }

  /** Pods using the claim ("ns/name") that are on a node or assumed onto one. */
  claimUsers(claimKey: string): Pod[] {
    return this.pods
      .byIndex(claimIndex, claimKey)
      .filter((pod) => pod.spec.nodeName || this.assumedPods.has(keyOf(pod)));
  }

  assumePod(podKey: string, nodeName: string): void {
    this.forgetPod(podKey);
    this.assumedPods.set(podKey, nodeName);
    const onNode = this.assumedOnNode.get(nodeName);
    if (onNode) onNode.add(podKey);
    else this.assumedOnNode.set(nodeName, new Set([podKey]));
  }
  forgetPod(podKey: string): void {
    const nodeName = this.assumedPods.get(podKey);
    if (nodeName === undefined) return;
    this.assumedPods.delete(podKey);
    const onNode = this.assumedOnNode.get(nodeName);
    onNode?.delete(podKey);
    if (onNode?.size === 0) this.assumedOnNode.delete(nodeName);
  }
  assumeVolume(volumeName: string, claimKey: string): void {
    this.dropAssumedVolume(volumeName);
    this.assumedVolumes.set(volumeName, claimKey);
    const names = this.assumedForClaim.get(claimKey);
    if (names) names.add(volumeName);
    else this.assumedForClaim.set(claimKey, new Set([volumeName]));
    const volume = this.volumes.get(volumeName);
    if (volume) this.free.taken(volumeClass(volume));
  }
  forgetVolume(volumeName: string, claimKey: string): void {
    if (this.assumedVolumes.get(volumeName) !== claimKey) return;
    this.dropAssumedVolume(volumeName);
    // Free again (its binding failed): the shared candidates no longer list it.
    const volume = this.volumes.get(volumeName);
    if (volume) this.free.changed(volumeClass(volume));
  }
  private dropAssumedVolume(volumeName: string): void {
    const claimKey = this.assumedVolumes.get(volumeName);
    if (claimKey === undefined) return;
    this.assumedVolumes.delete(volumeName);
    const names = this.assumedForClaim.get(claimKey);
    names?.delete(volumeName);
    if (names?.size === 0) this.assumedForClaim.delete(claimKey);
  }
}
