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

const nodeIndex = "scheduler-node";
const classIndex = "scheduler-class";
const claimIndex = "scheduler-claim";

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

export class SchedulerCache implements VolumeView {
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
    ensureIndex(this.capacityObjects, classIndex, (capacity) => [capacity.storageClassName]);
    this.pods.addHandlers({
      update: (_old, pod) => {
        if (pod.spec.nodeName) this.forgetPod(keyOf(pod));
      },
      delete: (pod) => this.forgetPod(keyOf(pod)),
    });
    const nodesChanged = (): void => {
      this.sortedNodeNames = undefined;
    };
    this.nodes.addHandlers({ add: nodesChanged, delete: nodesChanged });
    this.volumes.addHandlers({
      update: (_old, volume) => {
        if (volume.spec.claimRef) this.assumedVolumes.delete(volume.metadata.name ?? "");
      },
      delete: (volume) => this.assumedVolumes.delete(volume.metadata.name ?? ""),
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
  capacities(className: string): readonly CSIStorageCapacity[] {
    return this.capacityObjects.byIndex(classIndex, className);
  }
  assumedClaimOf(volumeName: string): string | undefined {
    return this.assumedVolumes.get(volumeName);
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
    return this.pods.byIndex(nodeIndex, nodeName).length + (this.assumedOnNode.get(nodeName)?.size ?? 0);
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
    this.assumedVolumes.set(volumeName, claimKey);
  }
  forgetVolume(volumeName: string, claimKey: string): void {
    if (this.assumedVolumes.get(volumeName) === claimKey) this.assumedVolumes.delete(volumeName);
  }
}
